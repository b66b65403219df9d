"""`medbench export RUN_DIR -o BUNDLE [--zip]`: a self-describing transfer bundle of a complete run."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Export a complete run as a transfer bundle: config, manifest, metadata.json, checkpoint, environment, report."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="the run record folder (runs/<task>/<run_id>)")
    parser.add_argument("-o", "--output", required=True, type=Path, help="the bundle folder to create (or .zip with --zip)")
    parser.add_argument("--zip", action="store_true", help="write one .zip file instead of a folder")
    parser.add_argument("--intended-use", default=None, help="the model's intended use, for metadata.json and the report")
    parser.add_argument("--licence", default=None, help="the licence the model is shared under (SPDX id or text)")


def execute(args: argparse.Namespace) -> int:
    from medbench.export import export_bundle

    target = export_bundle(args.run_dir, args.output, as_zip=args.zip, intended_use=args.intended_use, licence=args.licence)
    print(f"bundle: {target}")
    return 0
