"""Tabularize >= 1M timeline events into window counts: time and peak memory, at several sizes, with a figure.

    python benchmarks/bench_timeline_tabularize.py [--events 250000 1000000] [--figure bench_timeline.png]

For each size, the generated cohort (:mod:`medbench.data.timeline.generate`) is simulated with
enough patients to reach the number of events, converted (Synthea -> MEDS) and written as a MEDS
dataset. A fresh process then reads it and does what a timeline task does before a model sees
anything: the readmission cohort (one sample per inpatient discharge), each sample's history
strictly before its prediction time, the vocabulary, and counts plus mean values per code over
the last 30 days, 365 days and all history (MEDS-Tab's windows). Printed: seconds (best of
`--repeat`) and the process's peak resident memory, and the increase over its resident memory
after imports and reading (VmHWM, VmRSS from /proc).

The peer, meds-tab 0.2.0 (MEDS-Tab), runs with `--meds-tab BIN` from its own venv (it pins
polars<2, medbench uses polars 2: `python -m venv /tmp/medstab && /tmp/medstab/bin/pip install
meds-tab==0.2.0`, then `--meds-tab /tmp/medstab/bin`) on the same events, sharded by split as it
expects, with the same samples as MEDS labels (`input_label_dir`), windows and minimum code
count; aggregations `code/count` and `value/sum` (medbench: count and mean). Its time is the wall
time of `meds-tab-describe` and `meds-tab-tabularize-time-series` (each a process, so it includes
their start-up, a few seconds, and reading and writing its sparse matrices), and its memory the
peak resident memory of those processes; medbench's time starts after the MEDS folder is read.

Measured on the 2-core development machine (shared with other sessions: timings vary by a factor
of about 2 to 4 between runs), 2026-12-07, `--events 250000 1000000 --meds-tab`
(figure: `bench_timeline_tabularize.png`):

    256,857 events    2,188 samples  112 features  medbench 0.05 s, peak 197 MB   meds-tab 22.0 s, peak 335 MB
  1,023,697 events    8,509 samples  112 features  medbench 0.31 s, peak 390 MB   meds-tab 71.5 s, peak 986 MB
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "2")

READMISSION = {"trigger": {"codes": ["ENCOUNTER_END:inpatient"]}, "label": {"type": "binary", "codes": ["ENCOUNTER:inpatient"], "window_days": 30}}
EVENTS_PER_PATIENT = 147  # of the generated cohort, measured on 300 patients (seed 0)


def _memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])
    return 0


def write_cohort(n_events: int, folder: Path) -> int:
    """A MEDS dataset of at least `n_events` generated events at `folder`; returns the number of events."""
    from medbench.data.timeline.generate import simulate
    from medbench.data.timeline.meds import SUBJECT, assign_splits, write_meds
    from medbench.data.timeline.synthea import synthea_events

    patients = int(n_events / EVENTS_PER_PATIENT * 1.05) + 1
    events, _ = synthea_events(simulate(patients, seed=0).frames())
    write_meds(events, assign_splits(events[SUBJECT].unique().to_numpy(), 0.15, 0.25, 0), folder, "bench")
    return events.height


def tabularize(folder: str, repeat: int, queue: multiprocessing.Queue) -> None:
    """In a fresh process: read the MEDS folder, then time the tabularization; report time and memory."""
    from medbench.data.timeline import features as F
    from medbench.data.timeline.cohort import extract_samples
    from medbench.data.timeline.cohort import timeline_task
    from medbench.data.timeline.meds import read_meds

    events, _ = read_meds(Path(folder))
    resident = _memory_kb("VmRSS")
    task = timeline_task(READMISSION)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        samples = extract_samples(events, task).with_row_index("sample_index")
        past = F.history(events, samples)
        codes = F.vocabulary(past, range(samples.height), 5, 10_000)
        valued = F.valued_codes(past, range(samples.height), codes)
        table = F.window_counts(past, samples.height, codes, valued, (30.0, 365.0, None), F.ages_at_prediction(past, samples.height))
        best = min(best, time.perf_counter() - start)
    queue.put((best, samples.height, table.values.shape[1], _memory_kb("VmHWM") / 1024, (_memory_kb("VmHWM") - resident) / 1024))


def meds_tab_layout(folder: Path, work: Path) -> tuple[Path, Path]:
    """meds-tab's layout of the same data (not timed): events sharded by split, and the task's samples as MEDS labels."""
    import polars as pl

    from medbench.data.timeline.cohort import extract_samples, timeline_task
    from medbench.data.timeline.meds import MEDS_SPLITS, SUBJECT, read_meds

    events, splits = read_meds(folder)
    samples = extract_samples(events, timeline_task(READMISSION)).join(splits, on=SUBJECT)
    data, labels = work / "data", work / "labels"
    for name, meds_name in MEDS_SPLITS.items():
        (data / meds_name).mkdir(parents=True)
        (labels / meds_name).mkdir(parents=True)
        subjects = splits.filter(pl.col("split") == name).select(SUBJECT)
        events.join(subjects, on=SUBJECT).write_parquet(data / meds_name / "0.parquet")
        samples.filter(pl.col("split") == name).select(
            SUBJECT, "prediction_time", pl.col("label").cast(pl.Boolean).alias("boolean_value")
        ).write_parquet(labels / meds_name / "0.parquet")
    return data, labels


def meds_tab(bin_dir: Path, folder: Path, work: Path) -> tuple[float, float]:
    """(seconds, peak MB) of meds-tab's describe + time-series tabularization at the same samples, windows and codes."""
    import resource

    data, labels = meds_tab_layout(folder, work / "input")
    output = work / "output"
    start = time.perf_counter()
    for command, options in (
        ("meds-tab-describe", []),
        (
            "meds-tab-tabularize-time-series",
            [f"input_label_dir={labels}", "tabularization.min_code_inclusion_count=5", "tabularization.window_sizes=[30d,365d,full]", "tabularization.aggs=[code/count,value/sum]"],
        ),
    ):
        subprocess.run([str(bin_dir / command), f"input_dir={data}", f"output_dir={output}", *options], check=True, capture_output=True, timeout=3600)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--figure", type=Path, default=None, help="write time and memory against events as a PNG")
    parser.add_argument("--meds-tab", type=Path, default=None, help="bin folder of a venv with meds-tab installed")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    rows = []
    scratch = Path(tempfile.mkdtemp(prefix="bench_timeline_"))
    try:
        for n_events in args.events:
            folder = scratch / f"meds_{n_events}"
            generated = write_cohort(n_events, folder)
            queue = context.Queue()
            process = context.Process(target=tabularize, args=(str(folder), args.repeat, queue))
            process.start()
            seconds, samples, n_features, peak_mb, increase_mb = queue.get()
            process.join()
            peer = "not run"
            if args.meds_tab:
                peer_seconds, peer_mb = meds_tab(args.meds_tab, folder, scratch / f"meds_tab_{n_events}")
                peer = f"{peer_seconds:.2f} s, peak {peer_mb:.0f} MB (ratio {peer_seconds / seconds:.0f}x)"
            rows.append((generated, seconds, peak_mb, peer_seconds if args.meds_tab else None, peer_mb if args.meds_tab else None))
            print(
                f"{generated:>9,} events  {samples:>6,} samples  {n_features:>5} features  medbench {seconds:6.2f} s  "
                f"peak {peak_mb:7.0f} MB (+{increase_mb:.0f} MB over reading)  meds-tab: {peer}"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if args.figure:
        import base64

        from medbench.plots import figure, png

        fig, axes = figure()
        events = [r[0] / 1e6 for r in rows]
        series = [("medbench", 1, 2)] + ([("meds-tab 0.2.0", 3, 4)] if args.meds_tab else [])
        for name, time_column, memory_column in series:
            axes.plot(events, [r[time_column] for r in rows], marker="o", label=name)
            for row, x in zip(rows, events):
                axes.annotate(f"{row[memory_column]:.0f} MB", (x, row[time_column]), textcoords="offset points", xytext=(4, 4), fontsize=7)
        axes.set(xlabel="events (millions)", ylabel="seconds (log scale; labels: peak memory)", yscale="log", title="Window-count tabularization, same samples")
        axes.legend(loc="center right")
        args.figure.write_bytes(base64.b64decode(png(fig)))
        print(f"figure: {args.figure}")


if __name__ == "__main__":
    main()
