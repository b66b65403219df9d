"""`medbench timeline generate|convert|pathways`: patient timelines (MEDS) from the command line.

* `generate --format synthea|omop DST`: the deterministic generated cohort as a Synthea CSV
  export or OMOP CDM tables (for trying the timeline tasks without data of one's own);
* `convert --from synthea|omop SRC DST`: a Synthea export or OMOP CDM folder as a MEDS dataset
  (`data/0.parquet`, `metadata/subject_splits.parquet`), written atomically;
* `pathways SRC --index CODE --steps CODE...`: the most frequent care pathways after an index
  event, small cells suppressed, as an HTML page.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Patient timelines (MEDS): generate a sample cohort, convert Synthea/OMOP exports, characterise care pathways."
FORMATS = ("synthea", "omop")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    generate = actions.add_parser("generate", help="write the generated cohort as a Synthea export or OMOP tables")
    generate.add_argument("destination", type=Path, metavar="DST")
    generate.add_argument("--format", choices=FORMATS, default="synthea")
    generate.add_argument("--subjects", type=int, default=400, help="number of patients (default: %(default)s)")
    generate.add_argument("--seed", type=int, default=0)

    convert = actions.add_parser("convert", help="convert a Synthea CSV export or OMOP CDM folder to a MEDS dataset")
    convert.add_argument("--from", dest="source_format", choices=FORMATS, required=True)
    convert.add_argument("source", type=Path, metavar="SRC")
    convert.add_argument("destination", type=Path, metavar="DST")
    convert.add_argument("--split-seed", type=int, default=0, help="seed of the subject splits (default: %(default)s)")

    pathways = actions.add_parser("pathways", help="the most frequent care pathways after an index event, as an HTML page")
    pathways.add_argument("source", type=Path, metavar="SRC", help="a MEDS dataset, Synthea export or OMOP folder (see --from)")
    pathways.add_argument("--from", dest="source_format", choices=("meds", *FORMATS), default="meds")
    pathways.add_argument("--index", nargs="+", required=True, metavar="CODE", help="codes of the index event (a trailing * is a prefix)")
    pathways.add_argument("--steps", nargs="+", required=True, metavar="CODE", help="codes that count as steps (treatments, conditions)")
    pathways.add_argument("--length", type=int, default=3, help="steps per pathway (default: %(default)s)")
    pathways.add_argument(
        "--min-patients", type=int, default=5, help="suppress pathways and cells of fewer patients (at least and default: %(default)s)"
    )
    pathways.add_argument("--top", type=int, default=10, help="pathways shown (default: %(default)s)")
    pathways.add_argument(
        "--subgroup", nargs="*", choices=("sex", "age_band"), default=["sex", "age_band"],
        help="split the shown pathways by these (default: both; none: --subgroup with no value)",
    )
    pathways.add_argument("--out", type=Path, required=True, metavar="PAGE.html")
    pathways.add_argument("--csv", type=Path, default=None, metavar="FILE.csv", help="also write the shown rows and cells as CSV")


def execute(args: argparse.Namespace) -> int:
    return {"generate": _generate, "convert": _convert, "pathways": _pathways}[args.action](args)


def _generate(args: argparse.Namespace) -> int:
    from medbench.data.timeline.generate import simulate, write_synthea
    from medbench.data.timeline.omop import generated_omop
    from medbench.errors import DataError

    if args.destination.exists() and any(args.destination.iterdir()):
        raise DataError(f"{args.destination} exists and is not empty; choose a new folder")
    if args.subjects < 3:
        raise DataError(f"--subjects must be at least 3, not {args.subjects}")
    tables = simulate(args.subjects, args.seed)
    if args.format == "synthea":
        write_synthea(tables, args.destination)
    else:
        generated_omop(tables.frames(), args.destination)
    print(f"wrote {args.subjects} generated patients as {args.format} tables to {args.destination}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from medbench.data.timeline.meds import SUBJECT, assign_splits, write_meds
    from medbench.data.timeline.sources import convert
    from medbench.errors import DataError

    if not args.source.is_dir():
        raise DataError(f"{args.source}: not a folder; give the folder of the {args.source_format} tables")
    events = convert(args.source_format, args.source)
    splits = assign_splits(events[SUBJECT].unique().to_numpy(), 0.15, 0.25, args.split_seed)
    write_meds(events, splits, args.destination, dataset_name=args.source.name)
    print(f"wrote {events.height} events of {splits.height} subjects as MEDS to {args.destination}")
    return 0


def _pathways(args: argparse.Namespace) -> int:
    from medbench.data.timeline.pathways import pathways
    from medbench.data.timeline.sources import load_source
    from medbench.io import atomic_write
    from medbench.leaderboard.views.pathways import pathway_page, pathways_csv

    events, _, description = load_source(args.source_format, str(args.source), 0, 0)
    result = pathways(events, args.index, args.steps, length=args.length, min_patients=args.min_patients, subgroups=args.subgroup)
    summary = result.summary(args.top)
    atomic_write(args.out, pathway_page(summary, title=f"Care pathways after {' | '.join(args.index)}", source=description, top=args.top))
    if args.csv is not None:
        atomic_write(args.csv, pathways_csv(summary))
    shown = len(summary.rows)
    print(f"wrote {args.out}: {shown} pathways of {result.n_patients} patients ({result.suppressed} pathways suppressed, < {args.min_patients} patients)")
    return 0
