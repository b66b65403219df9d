"""`medbench run [overrides]` and `medbench run -m ...`: Hydra's own command line, unchanged.

Everything after `run` goes to Hydra, so its flags (`-m`, `--cfg job`, `-cd DIR`, `--info`) and
override grammar work as users know them.
"""

from __future__ import annotations

import argparse

HELP = "Run an experiment composed from conf/ (Hydra overrides; -m for a sweep)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "overrides",
        nargs="*",
        help="Hydra overrides and flags, e.g. `experiment=breast_cancer_mlp seed=1` or `-m model=mlp,logreg`.",
    )


def execute(args: argparse.Namespace) -> int:
    from medbench.app import launch

    return launch(args.overrides)
