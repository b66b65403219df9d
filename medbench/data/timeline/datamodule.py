"""A prediction task on patient timelines (`task=timeline_*`): MEDS events, a declared cohort, leak-free inputs, splits by subject.

The source is a MEDS dataset (`source=meds`), a raw Synthea CSV export or OMOP CDM folder converted
on the fly (`source=synthea`, `source=omop`), or the generated cohort (`source=generated`, the
default: no file needed). The cohort (:mod:`medbench.tasks.timeline_spec`) makes the samples and
labels; the inputs are window counts for tabular models or token sequences for sequence models
(`features=counts|sequence`), both from events strictly before each prediction time. Subjects, not
samples, are split (the MEDS splits file when the dataset has one, else seeded), and the test
metadata carries `subject_id`, so intervals resample subjects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

import numpy as np
import polars as pl
import torch
from torch.utils.data import Dataset, TensorDataset

from medbench.data.base import DataInfo, MedbenchDataModule
from medbench.tasks.split import Split
from medbench.data.splits import check_seen_in_training
from medbench.data.survival import SurvivalSplit, check_eval_times
from medbench.data.timeline import features as F
from medbench.data.timeline.cohort import PREDICTION_TIME, extract_samples, timeline_task
from medbench.data.timeline.meds import SPLIT, SUBJECT, assign_splits
from medbench.data.timeline.sources import load_source
from medbench.errors import ConfigError, DataError
from medbench.records.pathways import SMALL_CELL, PathwaySummary

FEATURE_PATHS = ("counts", "sequence")
OTHER = "other"


class TimelineDataModule(MedbenchDataModule):
    def __init__(
        self,
        cohort: Mapping[str, Any],
        kind: Any,
        prediction_time: Optional[str] = None,
        source: str = "generated",
        path: Optional[str] = None,
        n_subjects: int = 400,
        generator_seed: int = 0,
        features: str = "counts",
        windows_days: Sequence[Optional[float]] = (30, 365, None),
        min_code_samples: int = 5,
        max_codes: int = 200,
        sequence_length: int = 64,
        eval_times: Sequence[float] = (),
        pathways: Optional[Mapping[str, Any]] = None,
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.task = timeline_task(cohort)
        self.kind = str(getattr(kind, "value", kind))
        if self.kind != self.task.task_kind:
            raise ConfigError(f"task.kind is {self.kind!r}, but a {self.task.label.type} label makes a {self.task.task_kind} task")
        if prediction_time is not None and prediction_time != self.task.prediction_time():
            raise ConfigError(f"task.prediction_time reads {prediction_time!r}, but the cohort's trigger gives {self.task.prediction_time()!r}")
        if features not in FEATURE_PATHS:
            raise ConfigError(f"task.data.features must be one of {FEATURE_PATHS}, not {features!r}")
        self.source, self.path, self.n_subjects, self.generator_seed = source, path, n_subjects, generator_seed
        self.features = features
        self.windows_days = tuple(None if w is None else float(w) for w in windows_days)
        self.min_code_samples, self.max_codes, self.sequence_length = min_code_samples, max_codes, sequence_length
        self.eval_times = tuple(float(t) for t in eval_times)
        self.pathway_spec = _pathway_spec(pathways)
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.events: Optional[pl.DataFrame] = None
        self.samples: Optional[pl.DataFrame] = None
        self.codes: list[str] = []
        self.class_names: list[str] = []
        self.feature_names: list[str] = []
        self._description = ""

    def load_events(self) -> tuple[pl.DataFrame, Optional[pl.DataFrame], str]:
        """The events, the dataset's own subject splits (or None) and a description of the source."""
        return load_source(self.source, self.path, self.n_subjects, self.generator_seed)

    def load_splits(self) -> dict[str, Split]:
        events, dataset_splits, self._description = self.load_events()
        self.events = events
        samples = extract_samples(events, self.task)
        splits = dataset_splits
        if splits is None:
            splits = assign_splits(events[SUBJECT].unique().to_numpy(), self.val_fraction, self.test_fraction, self.split_seed)
        samples = samples.join(splits, on=SUBJECT, how="left").with_columns(pl.col(SPLIT).fill_null("train"))
        targets, samples = self._targets(samples)
        samples = samples.with_row_index("sample_index")
        self.samples = samples
        past = F.history(events, samples)
        n = samples.height
        train = np.flatnonzero(samples[SPLIT].to_numpy() == "train")
        if len(train) == 0:
            raise DataError(f"{self._description}: no training sample; the cohort or the split leaves the train split empty")
        self.codes = F.vocabulary(past, train.tolist(), self.min_code_samples, self.max_codes)
        if self.features == "counts":
            valued = F.valued_codes(past, train.tolist(), self.codes)
            table = F.window_counts(past, n, self.codes, valued, self.windows_days, F.ages_at_prediction(past, n))
            counts = np.array([name.split("/")[1:2] == ["count"] for name in table.names])
            inputs: np.ndarray = _standardized(table.values, train, counts)
            self.feature_names = table.names
        else:
            inputs = F.token_sequences(past, n, self.codes, self.sequence_length)
        metadata = pl.DataFrame({
            SUBJECT: samples[SUBJECT].cast(pl.String),
            PREDICTION_TIME: samples[PREDICTION_TIME].dt.strftime("%Y-%m-%dT%H:%M:%S"),
            **F.subgroups(past, n),
        }).to_pandas()
        ids = np.array([f"{s}@{t}" for s, t in zip(metadata[SUBJECT], metadata[PREDICTION_TIME])])
        return self._split(samples[SPLIT].to_numpy(), ids, inputs, targets, metadata)

    def test_pathways(self) -> Optional[PathwaySummary]:
        """The most frequent pathways of the test subjects after `pathways.index` (the trigger codes by default);
        small cells suppressed by :func:`~medbench.data.timeline.pathways.pathways`."""
        if self.pathway_spec is None:
            return None
        from medbench.data.timeline.pathways import pathways

        self.setup()
        assert self.events is not None and self.samples is not None
        spec = self.pathway_spec
        test_subjects = self.samples.filter(pl.col(SPLIT) == "test")[SUBJECT].unique()
        result = pathways(
            self.events.filter(pl.col(SUBJECT).is_in(test_subjects.to_list())),
            spec["index"] or self.task.trigger.codes,
            spec["steps"],
            length=spec["length"],
            min_patients=spec["min_patients"],
            subgroups=spec["subgroups"],
        )
        return result.summary(spec["top"])

    def _targets(self, samples: pl.DataFrame) -> tuple[np.ndarray, pl.DataFrame]:
        if self.kind == "binary":
            return samples["label"].to_numpy().astype(np.int64), samples
        if self.kind == "survival":
            from medbench.tasks.survival import survival_targets

            return survival_targets(samples["event"].to_numpy().astype(bool), samples["duration"].to_numpy()), samples
        counts = samples.filter(pl.col(SPLIT) == "train").group_by("next_code").agg(pl.len().alias("n")).sort(["n", "next_code"], descending=[True, False])
        names = counts["next_code"].to_list()
        top = names[: self.task.label.max_classes - 1]
        classes = [*top, OTHER] if len(names) > len(top) else top
        codes = samples["next_code"]
        mapped = pl.when(codes.is_in(top)).then(codes).otherwise(pl.lit(OTHER if OTHER in classes else None))
        samples = samples.with_columns(mapped.alias("next_code")).filter(pl.col("next_code").is_not_null())
        if len(classes) < 2:
            raise DataError(f"{self._description}: the next-code label has {len(classes)} class(es) in training; it needs two or more")
        self.class_names = classes
        targets = samples["next_code"].replace_strict({name: k for k, name in enumerate(classes)}, return_dtype=pl.Int64).to_numpy()
        return targets, samples

    def _split(self, names: np.ndarray, ids: np.ndarray, inputs: np.ndarray, targets: np.ndarray, metadata: Any) -> dict[str, Split]:
        rows = {name: np.flatnonzero(names == name) for name in ("train", "val", "test")}
        if self.kind == "multiclass":
            check_seen_in_training(targets[rows["train"]], targets[rows["test"]], self._description, self.class_names)
        if self.kind == "survival":
            check_eval_times(self.eval_times, targets[rows["test"]], self._description)
        splits: dict[str, Split] = {}
        for name, idx in rows.items():
            part = dict(ids=ids[idx], inputs=inputs[idx], targets=targets[idx], metadata=metadata.iloc[idx].reset_index(drop=True))
            splits[name] = SurvivalSplit(**part, eval_times=self.eval_times) if self.kind == "survival" else Split(**part)
        return splits

    def info(self) -> DataInfo:
        self.setup()
        from medbench.tasks.registry import score_count

        outputs = 1 if self.kind == "survival" else score_count(self.kind, len(self.class_names))
        if self.features == "counts":
            network: dict[str, Any] = {"in_features": len(self.feature_names), "num_outputs": outputs}
        else:
            network = {"vocab_size": len(self.codes) + 2, "num_outputs": outputs}
        assert self.samples is not None
        source = (
            f"{self._description}: {self.samples.height} samples of {self.samples[SUBJECT].n_unique()} subjects, "
            f"prediction at {self.task.prediction_time()}, {len(self.codes)} codes ({self.features})"
        )
        return DataInfo(network_kwargs=network, class_names=list(self.class_names), source=source)

    def to_dataset(self, split: Split) -> Dataset:
        if self.kind != "survival":
            return super().to_dataset(split)
        return TensorDataset(
            torch.as_tensor(np.asarray(split.inputs), dtype=torch.float32),
            torch.as_tensor(split.targets["time"].astype(np.float32)),
            torch.as_tensor(split.targets["event"].astype(np.float32)),
        )


def _pathway_spec(spec: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """`task.data.pathways` checked: `steps` (codes) required; `index`, `length`, `min_patients`, `top`, `subgroups` optional."""
    if spec is None:
        return None
    from medbench.data.timeline.pathways import SUBGROUPS

    known = {"index": None, "steps": None, "length": 3, "min_patients": 5, "top": 20, "subgroups": list(SUBGROUPS)}
    unknown = set(spec) - set(known)
    if unknown:
        raise ConfigError(f"task.data.pathways: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    checked = {**known, **dict(spec)}
    if not checked["steps"]:
        raise ConfigError("task.data.pathways.steps: name the codes that count as steps (e.g. ['RxNorm:*'])")
    if int(checked["min_patients"]) < SMALL_CELL:
        raise ConfigError(f"task.data.pathways.min_patients is {checked['min_patients']}; pathways kept with a run suppress cells under {SMALL_CELL} patients at least")
    checked["steps"] = tuple(str(code) for code in checked["steps"])
    checked["index"] = tuple(str(code) for code in checked["index"]) if checked["index"] else None
    checked["subgroups"] = tuple(str(subgroup) for subgroup in checked["subgroups"] or ())
    return checked


def _standardized(values: np.ndarray, train: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """log1p of the `counts` columns, then all centred and scaled on the training rows; a missing mean becomes 0."""
    import warnings

    values = values.copy()
    values[:, counts] = np.log1p(values[:, counts])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a mean column without any training value
        mean, std = np.nanmean(values[train], axis=0), np.nanstd(values[train], axis=0)
    mean, std = np.nan_to_num(mean), np.where(np.nan_to_num(std) > 0, np.nan_to_num(std), 1.0)
    return np.nan_to_num((values - mean) / std).astype(np.float32)
