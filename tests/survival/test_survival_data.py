"""The scikit-survival data sets load into seeded, event-stratified splits with train-fitted coding."""

from __future__ import annotations

import numpy as np
import pytest

from medbench.data.survival import SKSURV_DATASETS, SksurvDataModule
from medbench.errors import DataError

EVAL_TIMES = {"whas500": [182, 365, 730], "gbsg2": [182, 365, 730], "veterans": [30, 60, 90]}


@pytest.mark.parametrize("dataset", sorted(SKSURV_DATASETS))
def test_splits_cover_every_patient_once_and_keep_the_event_share(dataset: str) -> None:
    data = SksurvDataModule(dataset, eval_times=EVAL_TIMES[dataset])
    data.setup()
    splits = {name: data.split(name) for name in ("train", "val", "test")}
    ids = [i for split in splits.values() for i in split.ids]
    assert len(ids) == len(set(ids)) == {"whas500": 500, "gbsg2": 686, "veterans": 137}[dataset]
    overall = np.concatenate([s.event for s in splits.values()]).mean()
    assert abs(splits["test"].event.mean() - overall) < 0.03
    assert all(split.eval_times == tuple(float(t) for t in EVAL_TIMES[dataset]) for split in splits.values())
    assert data.info().network_kwargs == {"in_features": splits["train"].inputs.shape[1], "num_outputs": 1}


def test_ids_split_and_fingerprint_are_stable_and_follow_the_split_seed() -> None:
    first, again = (SksurvDataModule("whas500", eval_times=EVAL_TIMES["whas500"]) for _ in range(2))
    assert first.split_ids() == again.split_ids() and first.fingerprint() == again.fingerprint()
    other = SksurvDataModule("whas500", eval_times=EVAL_TIMES["whas500"], split_seed=1)
    assert other.split_ids()["test"] != first.split_ids()["test"]


def test_covariates_are_one_hot_coded_and_standardised_on_train_only() -> None:
    data = SksurvDataModule("gbsg2", eval_times=EVAL_TIMES["gbsg2"])
    train, test = data.split("train").inputs, data.split("test").inputs
    # GBSG2: 5 numeric covariates, horTh and menostat (2 levels), tgrade (3 levels) -> 5 + 1 + 1 + 2.
    assert train.shape[1] == 9
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    assert not np.allclose(test.mean(axis=0), 0, atol=1e-3)


@pytest.mark.parametrize(
    ("eval_times", "problem"),
    [([365], "at least two"), ([730, 365], "strictly increasing"), ([365, 100000], "within the follow-up")],
)
def test_bad_evaluation_times_are_refused(eval_times: list[float], problem: str) -> None:
    with pytest.raises(DataError, match=f"task.eval_times.*{problem}"):
        SksurvDataModule("whas500", eval_times=eval_times).setup()


def test_unknown_dataset_is_refused_naming_the_choices() -> None:
    with pytest.raises(DataError, match="whas500"):
        SksurvDataModule("whas5000", eval_times=[1, 2])
