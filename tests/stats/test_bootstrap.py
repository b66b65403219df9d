"""Bootstrap intervals: the same quantiles as scipy.stats.bootstrap on the same resamples; resampling plans."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from medbench.metrics.registry import get_metric, prepare
from medbench.evaluation.scoring import statistic_of
from medbench.stats.bootstrap import distributions, interval, jackknife
from medbench.stats.resampling import Resampler
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.predictions import classification_frame


def binary(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, n)
    scores = np.round(np.clip(0.3 * targets + 0.7 * rng.random(n), 0, 1), 2)
    return targets, scores, prepare("binary", TaskOutputs(classification_frame(np.arange(n), targets, scores, "binary")))


def scipy_interval(data, statistic, distribution, method: str, paired: bool = False):
    """scipy's interval computed on OUR bootstrap distribution (n_resamples=0 reuses it)."""
    result = stats.bootstrap(
        data, statistic, n_resamples=0, bootstrap_result=SimpleNamespace(bootstrap_distribution=distribution),
        method=method, confidence_level=0.9, paired=paired, vectorized=False,
    )
    return result.confidence_interval


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_mean_metric_interval_equals_scipy(method: str) -> None:
    targets, scores, prepared = binary()
    metric = get_metric("binary", "brier")
    statistic = statistic_of(metric, prepared)
    resampler = Resampler.build(len(prepared))
    boot = distributions({"brier": statistic}, resampler, 2000, seed=1)["brier"]
    ours = interval(metric.value(prepared), boot, 0.9, method, jackknife(statistic, resampler))
    theirs = scipy_interval(((scores - targets) ** 2,), np.mean, boot, "BCa" if method == "bca" else method)
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=1e-12)


def test_auroc_bca_interval_equals_scipy() -> None:
    targets, scores, prepared = binary(n=80)
    metric = get_metric("binary", "auroc")
    statistic = statistic_of(metric, prepared)
    resampler = Resampler.build(len(prepared))
    boot = distributions({"auroc": statistic}, resampler, 1000, seed=2)["auroc"]
    ours = interval(metric.value(prepared), boot, 0.9, "bca", jackknife(statistic, resampler))
    theirs = scipy_interval((targets, scores), lambda t, s: roc_auc_score(t, s), boot, "BCa", paired=True)
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high), abs=1e-12)


def test_bootstrap_distribution_matches_scipy_in_law() -> None:
    """Independent resamples: the percentile interval of a mean agrees with scipy's within noise."""
    rng = np.random.default_rng(0)
    values = rng.exponential(size=400)
    resampler = Resampler.build(400)
    from medbench.stats.bootstrap import Statistic

    boot = distributions({"mean": Statistic(lambda w: w @ values / w.sum(1), values)}, resampler, 20000, seed=0)["mean"]
    ours = interval(values.mean(), boot, 0.95, "percentile")
    theirs = stats.bootstrap((values,), np.mean, n_resamples=20000, method="percentile", rng=1).confidence_interval
    assert ours.low == pytest.approx(theirs.low, abs=0.01) and ours.high == pytest.approx(theirs.high, abs=0.01)


def test_stratified_resamples_keep_each_stratum_size() -> None:
    strata = np.array([0] * 30 + [1] * 10)
    weights = Resampler.build(40, strata=strata).draw(np.random.default_rng(0), 50)
    assert (weights[:, :30].sum(axis=1) == 30).all() and (weights[:, 30:].sum(axis=1) == 10).all()


def test_clustered_resamples_move_whole_clusters() -> None:
    clusters = np.repeat(np.arange(10), 3)
    resampler = Resampler.build(30, clusters=clusters, strata=np.repeat(np.arange(10) % 2, 3))
    weights = resampler.draw(np.random.default_rng(0), 100)
    assert resampler.stratified and resampler.n_items == 10
    for row in weights:
        assert (row.reshape(10, 3) == row.reshape(10, 3)[:, :1]).all()
        assert row.sum() == 30
    mixed = Resampler.build(30, clusters=clusters, strata=np.arange(30) % 2)
    assert not mixed.stratified


def test_jackknife_closed_form_equals_weighted_evaluation() -> None:
    _, _, prepared = binary(n=50)
    metric = get_metric("binary", "accuracy")
    resampler = Resampler.build(50, clusters=np.arange(50) // 5)
    statistic = statistic_of(metric, prepared)
    closed = jackknife(statistic, resampler)
    explicit = np.concatenate([metric.weighted(prepared, w) for w in resampler.jackknife()])
    np.testing.assert_allclose(closed, explicit, atol=1e-12)
