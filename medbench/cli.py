"""The `medbench` command: parse, dispatch, and import the heavy parts only when needed.

Each subcommand lives in its own module under :mod:`medbench.commands` and exposes
``HELP`` (one line), ``add_arguments(parser)`` and ``execute(args) -> int``. Those modules import
nothing heavy at top level, so `medbench --help` answers without loading torch or lightning.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from medbench import __version__
from medbench.errors import DEBUG_VARIABLE, debugging, one_line

# Commands whose arguments all go, untouched and in order, to another command line (Hydra's).
PASSTHROUGH_COMMANDS: frozenset[str] = frozenset({"run"})

# Order is the order shown by `medbench --help`.
COMMAND_MODULES: tuple[str, ...] = (
    "medbench.commands.run",
    "medbench.commands.score",
    "medbench.commands.compare",
    "medbench.commands.eval_trec",
    "medbench.commands.submit",
    "medbench.commands.leaderboard",
    "medbench.commands.review",
    "medbench.commands.reproduce",
    "medbench.commands.export",
    "medbench.commands.serve",
    "medbench.commands.board",
    "medbench.commands.admin",
    "medbench.commands.timeline",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medbench",
        description="Declarative experiments and trustworthy evaluation for medical AI.",
        epilog="Run `medbench COMMAND --help` for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"medbench {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error instead of one line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        name = command_name(module_name)
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(execute=module.execute)
    return parser


def command_name(module_name: str) -> str:
    return module_name.rsplit(".", 1)[-1].replace("_", "-")


def command_names() -> list[str]:
    return [command_name(module_name) for module_name in COMMAND_MODULES]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    split = 1 + (argv[:1] == ["--debug"])
    if len(argv) < split:  # a bare `medbench` asks what it can do
        parser.print_help()
        return 0
    command = argv[split - 1]
    if not command.startswith("-") and command not in command_names():
        from medbench.config.suggest import unknown_choice_message

        print(f"medbench: error: {unknown_choice_message('command', command, command_names())}", file=sys.stderr)
        return 2
    if command in PASSTHROUGH_COMMANDS:
        # argparse would read Hydra's flags (`-m`, `--cfg job`, `--help`) as medbench options.
        args = parser.parse_args(argv[:split])
        args.overrides = argv[split:]
    else:
        args = parser.parse_args(argv)
    if args.debug:
        os.environ[DEBUG_VARIABLE] = "1"  # Hydra's job function and sweep workers read it
    try:
        return int(args.execute(args) or 0)
    except Exception as error:  # every error is one line and exit 2; --debug keeps the traceback
        if debugging():
            raise
        print(f"medbench {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"medbench {args.command}: interrupted", file=sys.stderr)
        return 130
