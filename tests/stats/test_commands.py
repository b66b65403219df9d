"""`medbench score`, `compare` and `eval-trec`: the record's numbers again, paired tests, no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.data.trec import write_qrels, write_run

HEAVY = ("torch", "pytorch_lightning", "lightning", "torchmetrics")


def medbench(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh interpreter and report which heavy modules it imported."""
    code = (
        "import sys\nfrom medbench.cli import main\n"
        f"code = main({list(args)!r})\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


@pytest.fixture
def two_records(compose_config):
    from medbench.engine.run import run

    return run(compose_config("model=logreg")), run(compose_config())


@pytest.mark.slow
def test_score_and_compare_records_without_torch(two_records, cli_env: dict[str, str]) -> None:
    logreg, mlp = two_records
    scored = medbench("score", str(mlp.path), "--json", env=cli_env)
    assert scored.returncode == 0, scored.stderr
    text, heavy = scored.stdout.rsplit("HEAVY:", 1)
    assert heavy.strip() == ""
    assert json.loads(text) == json.loads((mlp.path / "metrics.json").read_text())

    plain = medbench("score", str(mlp.path), env=cli_env)
    assert "equal to the record's metrics.json" in plain.stdout and "(95% CI, percentile, by sample)" in plain.stdout

    compared = medbench("compare", str(logreg.path), str(mlp.path), "--method", "delong", "--json", env=cli_env)
    assert compared.returncode == 0, compared.stderr
    text, heavy = compared.stdout.rsplit("HEAVY:", 1)
    assert heavy.strip() == ""
    result = json.loads(text)
    assert result["metric"] == "auroc" and result["method"] == "delong"
    assert result["value_a"] == pytest.approx(logreg.metrics().values["auroc"].value)
    assert result["difference"] == pytest.approx(result["value_a"] - result["value_b"])
    assert result["ci"]["low"] <= result["difference"] <= result["ci"]["high"]


@pytest.mark.slow
def test_compare_refuses_records_of_different_test_samples(two_records, cli_env: dict[str, str]) -> None:
    logreg, mlp = two_records
    frame = mlp.predictions().iloc[:-3]
    frame.to_parquet(mlp.path / "predictions.parquet", index=False)
    result = medbench("compare", str(logreg.path), str(mlp.path), env=cli_env)
    assert result.returncode == 2
    # Checked when the record is read: its predictions no longer cover its own test split.
    assert "no predictions for 3 of the 143 test samples" in result.stderr


def test_score_refuses_bad_overrides_and_missing_records(tmp_path: Path, cli_env: dict[str, str]) -> None:
    result = medbench("score", str(tmp_path / "nope"), env=cli_env)
    assert result.returncode == 2 and "no such run record folder" in result.stderr


def test_eval_trec_prints_trec_eval_numbers_without_torch(tmp_path: Path, cli_env: dict[str, str]) -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = np.random.default_rng(0)
    qrels = {f"q{q}": {f"d{d}": int(rng.integers(0, 3)) for d in rng.choice(50, 8, replace=False)} for q in range(20)}
    run = {f"q{q}": {f"d{d}": float(rng.random()) for d in rng.choice(50, 30, replace=False)} for q in range(20)}
    write_qrels(pd.DataFrame([(q, d, r) for q, v in qrels.items() for d, r in v.items()], columns=["sample_id", "doc_id", "relevance"]), tmp_path / "qrels")
    rows = [(q, d, s) for q, v in run.items() for d, s in v.items()]
    run_frame = pd.DataFrame(rows, columns=["sample_id", "doc_id", "score"]).assign(rank=1)
    write_run(run_frame, tmp_path / "run")

    result = medbench("eval-trec", str(tmp_path / "qrels"), str(tmp_path / "run"), "--metrics", "ndcg@10", "map@100", "--per-query", env=cli_env)
    assert result.returncode == 0, result.stderr
    text, heavy = result.stdout.rsplit("HEAVY:", 1)
    assert heavy.strip() == ""
    report = json.loads(text)
    expected = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "map_cut.100"}).evaluate(run)
    for query, measures in expected.items():
        assert report["ndcg@10"]["per_query"][query] == pytest.approx(measures["ndcg_cut_10"], abs=1e-9)
        assert report["map@100"]["per_query"][query] == pytest.approx(measures["map_cut_100"], abs=1e-9)
    assert report["ndcg@10"]["mean"] == pytest.approx(np.mean([m["ndcg_cut_10"] for m in expected.values()]), abs=1e-9)


def test_eval_trec_names_the_bad_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "qrels").write_text("q1 0 d1 1\n")
    (tmp_path / "run").write_text("q1 Q0 d1 1 0.5 tag\nq1 Q0 d2 2 tag\n")
    result = medbench("eval-trec", str(tmp_path / "qrels"), str(tmp_path / "run"), env=cli_env)
    assert result.returncode == 2
    assert "line 2: expected 6 fields" in result.stderr
