"""Paired comparison of two runs: DeLong and McNemar against references, refusals, Holm."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, norm

from medbench.errors import ConfigError, DataError
from medbench.records.protocol import Confidence
from medbench.evaluation.comparison import compare_paired
from medbench.stats.significance import delong_test, holm, mcnemar_test
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.predictions import classification_frame


def two_runs(n: int = 300, seed: int = 0, gap: float = 0.15, patients: bool = False):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, n)
    common = rng.random(n)
    scores_a = np.clip(0.3 * targets + 0.5 * common + 0.2 * rng.random(n), 0, 1)
    scores_b = np.clip((0.3 - gap) * targets + 0.5 * common + (0.2 + gap) * rng.random(n), 0, 1)
    metadata = pd.DataFrame({"patient": np.arange(n) // 3}) if patients else None
    columns = ["patient"] if patients else []
    frame = lambda s: classification_frame(np.arange(n), targets, s, "binary", metadata, columns)  # noqa: E731
    return TaskOutputs(frame(scores_a)), TaskOutputs(frame(scores_b)), targets, scores_a, scores_b


def brute_force_delong(targets, scores_a, scores_b):
    """DeLong from its definition: pairwise kernel psi(x, y) = 1[x > y] + 1/2 1[x = y]."""
    def components(scores):
        pos, neg = scores[targets == 1], scores[targets == 0]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)

    auc_a, v10_a, v01_a = components(scores_a)
    auc_b, v10_b, v01_b = components(scores_b)
    m, n = len(v10_a), len(v01_a)
    s10, s01 = np.cov(np.vstack([v10_a, v10_b])), np.cov(np.vstack([v01_a, v01_b]))
    variance = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    z = (auc_a - auc_b) / np.sqrt(variance)
    return auc_a, auc_b, np.sqrt(variance), 2 * norm.sf(abs(z))


@pytest.mark.parametrize("seed", range(4))
def test_delong_equals_its_definition(seed: int) -> None:
    _, _, targets, scores_a, scores_b = two_runs(n=200, seed=seed)
    scores_b = np.round(scores_b, 1)  # ties
    auc_a, auc_b, se, p = brute_force_delong(targets, scores_a, scores_b)
    result = delong_test(targets, scores_a, scores_b)
    assert (result.auroc_a, result.auroc_b) == pytest.approx((auc_a, auc_b), abs=1e-12)
    assert result.standard_error == pytest.approx(se, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)


def test_mcnemar_is_the_exact_binomial_test_of_discordant_pairs() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random(120) < 0.8, rng.random(120) < 0.7
    result = mcnemar_test(a, b)
    expected = binomtest(result.a_only, result.a_only + result.b_only, 0.5).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-12)
    assert mcnemar_test(a, a).p_value == 1.0


def test_holm_step_down() -> None:
    adjusted = holm(np.array([0.01, 0.04, 0.03, 0.005]))
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert holm(np.array([0.5, 0.9])).max() == 1.0


@pytest.mark.parametrize("method", ["bootstrap", "permutation", "delong"])
def test_a_clearly_better_model_is_detected(method: str) -> None:
    a, b, *_ = two_runs(gap=0.25)
    result = compare_paired(a, b, "binary", "auroc", method=method, confidence=Confidence(n_resamples=500), n_permutations=200)
    assert result.difference > 0.05 and result.ci.low > 0
    assert result.p_value < 0.01 and result.method == method


def test_identical_runs_do_not_differ() -> None:
    a, _, *_ = two_runs()
    for method in ("bootstrap", "permutation", "mcnemar"):
        metric = "accuracy" if method == "mcnemar" else "brier"
        result = compare_paired(a, a, "binary", metric, method=method, confidence=Confidence(n_resamples=200), n_permutations=100)
        assert result.difference == 0 and result.p_value == 1.0


def test_paired_interval_is_narrower_than_unpaired_intervals() -> None:
    from medbench.records.protocol import Protocol
    from medbench.evaluation.scoring import score_outputs

    a, b, *_ = two_runs(gap=0.05)
    paired = compare_paired(a, b, "binary", "auroc", confidence=Confidence(n_resamples=500))
    protocol = Protocol(name="t", version="1", kind="binary", metrics=("auroc",), primary="auroc", confidence=Confidence(n_resamples=500))
    width = lambda ci: ci.high - ci.low  # noqa: E731
    separate = [score_outputs(x, protocol).values["auroc"].ci for x in (a, b)]
    assert width(paired.ci) < min(width(ci) for ci in separate)


def test_row_order_does_not_matter() -> None:
    a, b, *_ = two_runs()
    shuffled = TaskOutputs(b.predictions.sample(frac=1.0, random_state=3).reset_index(drop=True))
    one = compare_paired(a, b, "binary", "auroc", method="delong", confidence=Confidence(n_resamples=100))
    two = compare_paired(a, shuffled, "binary", "auroc", method="delong", confidence=Confidence(n_resamples=100))
    assert one == two


def test_different_samples_are_refused() -> None:
    a, b, *_ = two_runs()
    fewer = TaskOutputs(b.predictions.iloc[:-5].reset_index(drop=True))
    with pytest.raises(DataError, match="not scored on the same samples"):
        compare_paired(a, fewer, "binary", "auroc")
    flipped = b.predictions.copy()
    flipped.loc[0, "target"] = 1 - flipped.loc[0, "target"]
    with pytest.raises(DataError, match="ground truth"):
        compare_paired(a, TaskOutputs(flipped), "binary", "auroc")


def test_tests_that_do_not_apply_are_refused() -> None:
    a, b, *_ = two_runs(patients=True)
    with pytest.raises(ConfigError, match="DeLong"):
        compare_paired(a, b, "binary", "accuracy", method="delong")
    with pytest.raises(ConfigError, match="McNemar"):
        compare_paired(a, b, "binary", "auroc", method="mcnemar")
    with pytest.raises(ConfigError, match="independent samples"):
        compare_paired(a, b, "binary", "auroc", method="delong", cluster_column="patient")
    clustered = compare_paired(a, b, "binary", "auroc", cluster_column="patient", confidence=Confidence(n_resamples=200))
    assert clustered.resampling_unit == "cluster:patient"


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_the_bootstrap_p_value_inverts_the_interval_at_every_level(method: str) -> None:
    """For any level, the interval of the same resamples excludes 0 exactly when p < 1 - level."""
    from medbench.stats.bootstrap import interval, p_value_of_zero

    rng = np.random.default_rng(3)
    for shift in (-0.3, -0.05, 0.0, 0.02, 0.1, 0.4):
        boot = shift + 0.1 * rng.standard_normal(400)
        jackknife = shift + 0.01 * rng.standard_normal(50)
        p = p_value_of_zero(shift, boot, method, jackknife)
        for level in np.linspace(0.5, 0.995, 60):
            ci = interval(shift, boot, level, method, jackknife)
            if 1 - level > 1 / 401:  # below the bootstrap's resolution the p-value is floored
                assert (ci.low > 0 or ci.high < 0) == (p < 1 - level), (shift, level, ci, p)


def test_delong_interval_and_p_value_are_one_answer() -> None:
    from medbench.stats.significance import delong_interval

    for seed in range(6):
        a, b, targets, scores_a, scores_b = two_runs(n=120, seed=seed, gap=0.04 * seed)
        result = compare_paired(a, b, "binary", "auroc", method="delong")
        assert result.ci.method == "delong" and "DeLong" in result.procedure
        assert (result.ci.low > 0 or result.ci.high < 0) == (result.p_value < 0.05)
        direct = delong_test(targets, scores_a, scores_b)
        assert delong_interval(direct, 0.95) == pytest.approx((result.ci.low, result.ci.high))
        assert result.ci.high - result.ci.low == pytest.approx(2 * norm.ppf(0.975) * direct.standard_error)
