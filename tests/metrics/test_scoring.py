"""score_outputs: every metric with its interval, clustered resampling, subgroups, bad protocols."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from medbench.errors import ConfigError, DataError
from medbench.records.protocol import Confidence, Protocol
from medbench.evaluation.scoring import check_protocol, score_outputs
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.predictions import classification_frame

METRICS = ("auroc", "accuracy", "sensitivity", "specificity", "brier", "sensitivity_at_specificity@0.9")


def outputs(n: int = 200, seed: int = 0, repeats: int = 1) -> TaskOutputs:
    """Binary outputs; with `repeats` > 1 each patient contributes that many identical images."""
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, n)
    scores = np.clip(0.3 * targets + 0.7 * rng.random(n), 0, 1)
    patients = np.arange(n)
    metadata = pd.DataFrame({"patient": patients, "sex": np.where(rng.random(n) < 0.5, "F", "M")})
    index = np.repeat(np.arange(n), repeats)
    frame = classification_frame(np.arange(len(index)), targets[index], scores[index], "binary", metadata.iloc[index].reset_index(drop=True), ["patient", "sex"])
    return TaskOutputs(frame)


def protocol(**changes) -> Protocol:
    base = dict(name="t", version="1", kind="binary", metrics=METRICS, primary="auroc", direction="maximize", confidence=Confidence(n_resamples=300))
    base.update(changes)
    return Protocol(**base)


def test_every_metric_has_its_interval() -> None:
    metrics = score_outputs(outputs(), protocol())
    assert set(metrics.values) == set(METRICS)
    for name, metric in metrics.values.items():
        ci = metric.ci
        assert ci is not None, name
        assert ci.low <= metric.value <= ci.high, name
        assert (ci.level, ci.method, ci.resampling_unit, ci.stratified) == (0.95, "percentile", "sample", True)
        assert ci.n_resamples == 300


def test_same_seed_same_interval_and_bca_differs_from_percentile() -> None:
    first, second = score_outputs(outputs(), protocol()), score_outputs(outputs(), protocol())
    assert first == second
    bca = score_outputs(outputs(), protocol(confidence=Confidence(method="bca", n_resamples=300)))
    assert bca.values["auroc"].ci.method == "bca"
    assert bca.values["auroc"].ci != first.values["auroc"].ci


def test_clustered_resampling_does_not_count_copies_as_evidence() -> None:
    """Four images per patient: the naive interval shrinks by ~half, the clustered one does not."""
    single = score_outputs(outputs(), protocol()).values["auroc"]
    naive = score_outputs(outputs(repeats=4), protocol()).values["auroc"]
    clustered = score_outputs(outputs(repeats=4), protocol(cluster_column="patient")).values["auroc"]
    width = lambda metric: metric.ci.high - metric.ci.low  # noqa: E731
    assert single.value == pytest.approx(naive.value) == pytest.approx(clustered.value)
    assert clustered.ci.resampling_unit == "cluster:patient"
    assert width(naive) < 0.7 * width(single)
    assert width(clustered) == pytest.approx(width(single), rel=0.25)


def test_subgroups_have_their_own_values_and_intervals() -> None:
    data = outputs()
    metrics = score_outputs(data, protocol(subgroup_columns=("sex",)))
    assert set(metrics.subgroups["sex"]) == {"F", "M"}
    women = data.predictions[data.predictions["sex"] == "F"].reset_index(drop=True)
    alone = score_outputs(TaskOutputs(women), protocol())
    assert metrics.subgroups["sex"]["F"]["auroc"].value == pytest.approx(alone.values["auroc"].value, abs=1e-12)
    assert metrics.subgroups["sex"]["F"]["auroc"].ci is not None


def test_missing_cluster_or_subgroup_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="cluster_column: 'site'"):
        score_outputs(outputs(), protocol(cluster_column="site"))
    with pytest.raises(DataError, match="subgroup_columns: 'age'"):
        score_outputs(outputs(), protocol(subgroup_columns=("age",)))


def task_node(**confidence):
    settings = {"method": "percentile", "level": 0.95, "n_resamples": 1000, "seed": 0, **confidence}
    return OmegaConf.create({"name": "t", "version": "1", "kind": "binary", "metrics": ["auroc"], "primary_metric": "auroc", "direction": "maximize", "confidence": settings})


@pytest.mark.parametrize(
    ("confidence", "message"),
    [({"method": "studentized"}, "task.confidence.method"), ({"level": 95}, "task.confidence.level"), ({"n_resamples": 1}, "n_resamples")],
)
def test_bad_confidence_block_is_refused(confidence, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_protocol(Protocol.from_task_config(task_node(**confidence)))


def test_nan_metric_survives_the_record_schema() -> None:
    from medbench.records.record import Metrics

    frame = pd.DataFrame({"sample_id": ["a", "b", "c"], "target": [0, 0, 0], "score": [0.1, 0.6, 0.3], "prediction": [0, 1, 0]})
    metrics = score_outputs(TaskOutputs(frame), protocol())
    again = Metrics.model_validate_json(metrics.model_dump_json())
    assert np.isnan(again.values["auroc"].value) and again.values["auroc"].ci is None
    assert again.values["specificity"].ci is not None


def test_retrieval_metrics_resample_queries() -> None:
    rng = np.random.default_rng(0)
    rows, judgments = [], []
    for q in range(40):
        docs = rng.choice(100, 20, replace=False)
        for rank, doc in enumerate(docs, start=1):
            rows.append((f"q{q}", f"d{doc}", 1.0 / rank, rank, "F" if q % 2 else "M"))
        judgments += [(f"q{q}", f"d{doc}", int(rng.integers(0, 3))) for doc in rng.choice(docs, 3, replace=False)]
    run = pd.DataFrame(rows, columns=["sample_id", "doc_id", "score", "rank", "sex"])
    qrels = pd.DataFrame(judgments, columns=["sample_id", "doc_id", "relevance"])
    protocol = Protocol(
        name="t", version="1", kind="retrieval", metrics=("ndcg@10", "mrr@10", "recall@5"), primary="ndcg@10",
        confidence=Confidence(n_resamples=200), subgroup_columns=("sex",),
    )
    metrics = score_outputs(TaskOutputs(run, qrels), protocol)
    assert metrics.n_samples == 40
    for metric in metrics.values.values():
        assert metric.ci.resampling_unit == "query" and metric.ci.stratified is False
        assert metric.ci.low <= metric.value <= metric.ci.high
    women_ids = [f"q{q}" for q in range(1, 40, 2)]
    women = run["sample_id"].isin(women_ids)
    alone = score_outputs(
        TaskOutputs(run[women].reset_index(drop=True), qrels[qrels["sample_id"].isin(women_ids)]), protocol
    )
    assert metrics.subgroups["sex"]["F"]["ndcg@10"].value == pytest.approx(alone.values["ndcg@10"].value)


def test_a_collapsed_interval_of_a_share_becomes_its_exact_interval() -> None:
    """Specificity 1.0 on 90 negatives is not certain: Clopper-Pearson gives [0.96, 1], not the bootstrap's [1, 1]."""
    from scipy.stats import beta

    rng = np.random.default_rng(1)
    targets = np.r_[np.zeros(90, int), np.ones(60, int)]
    scores = np.where(targets == 1, rng.uniform(0.3, 1.0, 150), rng.uniform(0.0, 0.45, 150))
    frame = classification_frame(np.arange(150), targets, scores, "binary")
    metrics = score_outputs(TaskOutputs(frame), protocol()).values
    specificity = metrics["specificity"]
    assert specificity.value == 1.0 and specificity.ci.method == "clopper-pearson" and specificity.ci.high == 1.0
    assert specificity.ci.low == pytest.approx(beta.ppf(0.025, 90, 1)) and 0.95 < specificity.ci.low < 0.97
    assert metrics["auroc"].ci.method == "percentile" and metrics["auroc"].ci.low < metrics["auroc"].ci.high
    perfect = classification_frame(np.arange(150), targets, targets * 0.9 + 0.05, "binary")
    accuracy = score_outputs(TaskOutputs(perfect), protocol()).values["accuracy"]
    assert accuracy.ci.method == "clopper-pearson" and accuracy.ci.low == pytest.approx(beta.ppf(0.025, 150, 1))


def test_a_collapsed_interval_of_no_share_is_dropped_as_n_too_small() -> None:
    frame = pd.DataFrame({"sample_id": np.arange(30).astype(str), "target": np.arange(30.0), "prediction": np.arange(30.0)})
    regression = Protocol(name="t", version="1", kind="regression", metrics=("mae",), primary="mae", direction="minimize")
    mae = score_outputs(TaskOutputs(frame), regression).values["mae"]
    assert mae.value == 0.0 and mae.ci is None and mae.warning.startswith("n too small")


def test_tiny_test_classes_warn_at_run_time_and_in_the_record(caplog) -> None:
    rng = np.random.default_rng(2)
    targets = np.r_[np.repeat([0, 1, 2], 30), [3], [4]]
    probabilities = rng.dirichlet(np.ones(5), size=len(targets))
    frame = classification_frame(np.arange(len(targets)), targets, probabilities, "multiclass")
    multiclass = Protocol(name="notes", version="1", kind="multiclass", metrics=("macro_auroc", "accuracy"), primary="macro_auroc")
    with caplog.at_level("WARNING", logger="medbench.evaluation.scoring"):
        metrics = score_outputs(TaskOutputs(frame), multiclass)
    warning = metrics.values["macro_auroc"].warning
    assert warning and "class 3: 1" in warning and "class 4: 1" in warning and "class 0" not in warning
    assert [record.getMessage() for record in caplog.records] == [f"notes: {warning}"]
    assert type(metrics).model_validate_json(metrics.model_dump_json()).values["macro_auroc"].warning == warning
    assert score_outputs(outputs(), protocol()).values["auroc"].warning is None


def test_a_class_recall_of_one_gets_the_exact_interval_of_its_class_size() -> None:
    from scipy.stats import beta

    targets = np.repeat([0, 1, 2], [40, 30, 20])
    probabilities = np.eye(3)[targets] * 0.7 + 0.1
    frame = classification_frame(np.arange(90), targets, probabilities, "multiclass")
    multiclass = Protocol(name="t", version="1", kind="multiclass", metrics=("sensitivity@class=2", "accuracy"), primary="accuracy")
    values = score_outputs(TaskOutputs(frame), multiclass).values
    assert values["sensitivity@class=2"].ci.method == "clopper-pearson"
    assert values["sensitivity@class=2"].ci.low == pytest.approx(beta.ppf(0.025, 20, 1))
    assert values["accuracy"].ci.low == pytest.approx(beta.ppf(0.025, 90, 1))
