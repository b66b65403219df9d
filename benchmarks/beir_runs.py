"""Shared by the retrieval benchmarks: unpack a BEIR zip, run retrievers through medbench, compare records.

Each retriever is run through `medbench run` (`run(cfg)` on the composed config), so its record is
the one a user would get, and pairs of records are compared by `medbench compare` itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any


def beir_folder(path: Path, scratch: Path) -> Path:
    """The folder holding corpus.jsonl: `path` itself, or where the zip unpacks it (once) under `scratch`."""
    if path.is_dir():
        return path
    existing = sorted(scratch.rglob("corpus.jsonl"))
    if not existing:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(scratch)
        existing = sorted(scratch.rglob("corpus.jsonl"))
    return existing[0].parent


def beir_task(name: str, folder: Path) -> list[str]:
    """Overrides of the BEIR task `name` in `folder`."""
    return ["task=beir", f"task.name={name}", f"task.data.folder={folder}"]


def run_medbench(root: Path, overrides: list[str], threads: int = 2) -> Any:
    """The record of `medbench run paths.root_dir=ROOT OVERRIDES`."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.engine.run import run
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"paths.root_dir={root}", "print_config=false", f"num_threads={threads}", *overrides])
    # The overrides go into the record: outside Hydra's app they are what names its board entry.
    return run(cfg, overrides=overrides)


def primary(record: Any) -> tuple[float, float, float]:
    """nDCG@10 of a record and its confidence interval (bootstrap over queries)."""
    value = record.metrics().values["ndcg@10"]
    return value.value, value.ci.low, value.ci.high


def compare(record_a: Any, record_b: Any) -> dict[str, Any]:
    """`medbench compare A B --json`: nDCG@10 difference A - B, its paired-bootstrap interval and the p-value of the same resamples."""
    completed = subprocess.run(
        [sys.executable, "-m", "medbench", "compare", str(record_a.path), str(record_b.path), "--json"],
        capture_output=True, text=True, check=True, env=dict(os.environ),
    )
    return json.loads(completed.stdout)


def side_by_side(root: Path, runs: dict[str, list[str]], pairs: list[tuple[str, str]], threads: int) -> dict[str, Any]:
    """Run each labelled config, print nDCG@10 with its interval, then each pair's paired comparison."""
    records, table = {}, {}
    for label, overrides in runs.items():
        records[label] = run_medbench(root, overrides, threads)
        value, low, high = primary(records[label])
        table[label] = {"ndcg@10": value, "ci": [low, high], "record": str(records[label].path)}
        print(f"{label:28s} nDCG@10 {value:.4f} [{low:.4f}, {high:.4f}]", flush=True)
    comparisons = []
    for a, b in pairs:
        result = compare(records[a], records[b])
        ci = result.get("ci") or {}
        comparisons.append({"a": a, "b": b, "difference": result["difference"], "ci": [ci.get("low"), ci.get("high")], "p_value": result["p_value"]})
        print(f"{a} - {b}: {result['difference']:+.4f} [{ci.get('low', float('nan')):+.4f}, {ci.get('high', float('nan')):+.4f}], p = {result['p_value']:.3g}", flush=True)
    return {"runs": table, "comparisons": comparisons}
