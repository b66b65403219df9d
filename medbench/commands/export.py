"""`medbench export RUN_DIR -o BUNDLE [--zip]`: a self-describing transfer bundle of a complete run.

`medbench export --check BUNDLE` scans a bundle (folder or zip) for patient-level content (sample
ids, raw text, per-sample rows, files that are not weights or descriptions); every export runs
the same scan before it writes anything.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Export a complete run as a transfer bundle (config, metadata.json, weights, report); --check scans a bundle."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="the run record folder (runs/<task>/<run_id>), or the bundle with --check")
    parser.add_argument("-o", "--output", type=Path, help="the bundle folder to create (or .zip with --zip)")
    parser.add_argument("--zip", action="store_true", help="write one .zip file instead of a folder")
    parser.add_argument("--intended-use", default=None, help="the model's intended use, for metadata.json and the report")
    parser.add_argument("--licence", default=None, help="the licence the model is shared under (SPDX id or text)")
    parser.add_argument("--check", action="store_true", help="only scan the bundle RUN_DIR for patient-level content")


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import ConfigError
    from medbench.transfer.export import check_exported, export_bundle

    if args.check:
        from medbench.reproduce.rebuild import local_config

        check_exported(args.run_dir, Path(str(local_config().paths.runs_dir)))
        print(f"{args.run_dir}: no sample ids, raw text or per-sample rows found")
        return 0
    if args.output is None:
        raise ConfigError("export: -o/--output BUNDLE is required (or --check to scan a bundle)")
    export = export_bundle(args.run_dir, args.output, as_zip=args.zip, intended_use=args.intended_use, licence=args.licence)
    for line in export.left_out:
        print(f"left out: {line}")
    print(f"bundle: {export.path}")
    return 0
