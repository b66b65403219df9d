"""Time a bootstrap interval of AUROC: medbench vs scipy.stats.bootstrap, same data, one run.

    python benchmarks/bench_bootstrap.py [--samples 10000] [--resamples 1000]

Both compute a 95% percentile interval of AUROC from `resamples` resamples of `samples` binary
predictions with continuous scores. scipy gets its best case: a vectorized statistic (the
Mann-Whitney AUROC with `scipy.stats.rankdata` along the resample axis) and `paired=True`.
medbench: `medbench.evaluation.scoring.score_outputs` path pieces (the registry's AUROC on a
(resamples, samples) weight matrix of draw counts, chunked; the sort is done once). A BCa
timing for medbench is printed too. Timings are wall-clock, best of `--repeat`, one thread.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from scipy import stats
from timing import clock


def auroc_vectorized(targets: np.ndarray, scores: np.ndarray, axis: int = -1) -> np.ndarray:
    ranks = stats.rankdata(scores, axis=axis)
    positives = targets.sum(axis=axis)
    negatives = targets.shape[axis] - positives
    rank_sum = (ranks * targets).sum(axis=axis)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def main() -> None:
    from medbench.metrics.registry import get_metric, prepare
    from medbench.evaluation.scoring import statistic_of
    from medbench.stats.bootstrap import confidence_intervals
    from medbench.stats.resampling import Resampler
    from medbench.tasks.outputs import TaskOutputs
    from medbench.tasks.predictions import classification_frame

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, args.samples)
    scores = np.clip(0.3 * targets + 0.7 * rng.random(args.samples), 0, 1)
    outputs = TaskOutputs(classification_frame(np.arange(args.samples), targets, scores, "binary"))

    def medbench(method: str):
        prepared = prepare("binary", outputs)
        metric = get_metric("binary", "auroc")
        resampler = Resampler.build(len(prepared), strata=prepared.strata)
        return confidence_intervals(
            {"auroc": statistic_of(metric, prepared)}, {"auroc": metric.value(prepared)}, resampler,
            method=method, level=0.95, n_resamples=args.resamples, seed=0,
        )["auroc"]

    def scipy_bootstrap():
        return stats.bootstrap(
            (targets, scores), auroc_vectorized, n_resamples=args.resamples, paired=True, vectorized=True,
            method="percentile", rng=0, batch=max(1, 2_000_000 // args.samples),
        ).confidence_interval

    print(f"AUROC 95% interval, {args.resamples} resamples x {args.samples} samples")
    ours, ours_ci = clock(lambda: medbench("percentile"), args.repeat)
    bca, bca_ci = clock(lambda: medbench("bca"), 1)
    theirs, theirs_ci = clock(scipy_bootstrap, 1)
    print(f"medbench percentile   {ours:7.3f} s   [{ours_ci.low:.4f}, {ours_ci.high:.4f}]")
    print(f"medbench BCa          {bca:7.3f} s   [{bca_ci.low:.4f}, {bca_ci.high:.4f}]  (jackknife of {args.samples} included)")
    print(f"scipy percentile      {theirs:7.3f} s   [{theirs_ci.low:.4f}, {theirs_ci.high:.4f}]")
    print(f"speed-up of medbench over scipy.stats.bootstrap: {theirs / ours:.1f}x  (goal: medbench under 0.5 s: {'met' if ours < 0.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
