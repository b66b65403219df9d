"""The evaluation report of a bundle: one self-contained HTML file (plots inlined as PNG).

Plots are drawn from the record's predictions at export time; only curves and per-query scores (aggregates) go
into the report, never a per-sample row. The checklist follows the TRIPOD+AI items a run record
can answer; the others say plainly that the developer must complete them.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medbench.bundle import TO_BE_COMPLETED, BundleMetadata
from medbench.io import atomic_write
from medbench.record import RunRecord

TEMPLATE = "bundle_report.html"


@dataclass(frozen=True)
class ChecklistItem:
    section: str
    item: str
    answer: str

    @property
    def completed(self) -> bool:
        return self.answer != TO_BE_COMPLETED


def write_report(record: RunRecord, meta: BundleMetadata, path: Path) -> None:
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(loader=PackageLoader("medbench", "templates"), autoescape=select_autoescape(["html"]))
    html = environment.get_template(TEMPLATE).render(
        meta=meta,
        plots=plots_for(record, meta.task.kind, meta.primary_metric),
        checklist=checklist(record, meta),
        subgroups=record.metrics().subgroups,
    )
    atomic_write(path, html)


def plots_for(record: RunRecord, kind: str, primary: str) -> list[tuple[str, str]]:
    """(title, base64 PNG) pairs for the task kind; an empty list where no plot is defined yet."""
    if kind == "retrieval":
        return _retrieval_plots(record, primary)
    if kind != "binary":
        return []
    from medbench.tasks.predictions import SCORE, TARGET

    frame = record.predictions()
    targets, scores = frame[TARGET].to_numpy().astype(int), frame[SCORE].to_numpy(dtype=float)
    return [("ROC curve (test split)", _roc_png(targets, scores)), ("Calibration (test split)", _calibration_png(targets, scores))]


def _roc_png(targets: np.ndarray, scores: np.ndarray) -> str:
    from sklearn.metrics import roc_auc_score, roc_curve

    figure, axes = _figure()
    fpr, tpr, _ = roc_curve(targets, scores)
    axes.plot(fpr, tpr, label=f"model (AUROC {roc_auc_score(targets, scores):.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="1 - specificity", ylabel="sensitivity", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return _png(figure)


def _calibration_png(targets: np.ndarray, scores: np.ndarray) -> str:
    from sklearn.calibration import calibration_curve

    figure, axes = _figure()
    observed, predicted = calibration_curve(targets, scores, n_bins=10, strategy="quantile")
    axes.plot(predicted, observed, marker="o", label="model (deciles of predicted risk)")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axes.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="upper left")
    return _png(figure)


def _retrieval_plots(record: RunRecord, primary: str) -> list[tuple[str, str]]:
    """The primary metric per test query: sorted (where the engine fails) and as a histogram."""
    from medbench.metrics.retrieval import evaluate

    _, per_query = evaluate(record.predictions(), record.qrels(), [primary])
    values = np.sort(next(iter(per_query.values())))
    sorted_figure, axes = _figure()
    axes.plot(np.arange(1, len(values) + 1), values, drawstyle="steps-post")
    axes.axhline(values.mean(), linestyle="--", color="grey", label=f"mean {values.mean():.3f}")
    axes.set(xlabel="test queries, sorted", ylabel=primary, ylim=(0, 1.01))
    axes.legend(loc="upper left")
    sorted_png = _png(sorted_figure)
    histogram_figure, axes = _figure()
    axes.hist(values, bins=np.linspace(0, 1, 11), edgecolor="white")
    axes.set(xlabel=primary, ylabel="test queries")
    return [
        (f"{primary} per query, sorted ({len(values)} test queries)", sorted_png),
        (f"Distribution of {primary} over test queries", _png(histogram_figure)),
    ]


def _figure() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=(4.5, 4.5), dpi=100)


def _png(figure: Any) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def checklist(record: RunRecord, meta: BundleMetadata) -> list[ChecklistItem]:
    """TRIPOD+AI-style items: answered from the record where it knows, else marked for the developer."""
    split_seed = record.manifest.dataset.split_seed if record.manifest.dataset else None
    metrics = record.metrics()
    ci = next((v.ci for v in metrics.values.values() if v.ci is not None), None)
    split = ", ".join(f"{name} {size}" for name, size in meta.data.split_sizes.items())
    todo = TO_BE_COMPLETED
    return [
        ChecklistItem("Title / abstract", "Identify the study as developing or evaluating a prediction model, the target population and outcome", todo),
        ChecklistItem("Introduction", "Healthcare context and rationale; intended use of the model", meta.intended_use),
        ChecklistItem("Methods: data", "Source of data", f"{meta.data.source} (loader {meta.data.loader})"),
        ChecklistItem("Methods: data", "Dataset identity (content fingerprint of samples and splits)", meta.data.fingerprint),
        ChecklistItem("Methods: participants", "Eligibility criteria, setting, dates of data collection", todo),
        ChecklistItem("Methods: outcome", "Definition of the predicted outcome", meta.task.description or todo),
        ChecklistItem("Methods: predictors", "Input data and their preprocessing", meta.input_format.description),
        ChecklistItem("Methods: sample size", "Number of participants and events in each split", split),
        ChecklistItem("Methods: missing data", "How missing data were handled", todo),
        ChecklistItem(
            "Methods: analysis",
            "Model type, hyperparameters, training procedure and seed",
            f"{meta.model_target}; seed {record.manifest.seed}; full resolved configuration in config.yaml",
        ),
        ChecklistItem(
            "Methods: data splitting",
            "How data were split for development and evaluation",
            f"{split} (split seed {'see config.yaml' if split_seed is None else split_seed}, fixed by task {meta.task.name} v{meta.task.version})",
        ),
        ChecklistItem(
            "Methods: performance measures",
            "Measures of performance and their uncertainty",
            ", ".join(metrics.values)
            + (f"; {ci.level:.0%} intervals by {ci.method} bootstrap ({ci.n_resamples} resamples)" if ci else "; no intervals recorded"),
        ),
        ChecklistItem("Methods: fairness", "Performance in relevant subgroups", ", ".join(metrics.subgroups) or todo),
        ChecklistItem("Methods: ethics", "Ethical approval and consent", todo),
        ChecklistItem("Open science", "Code, software versions and model availability", f"medbench {meta.versions.medbench}, git {meta.versions.git_commit or 'unknown'}; packages in environment.txt; weights SHA-256 {meta.checkpoint.sha256 if meta.checkpoint else 'none'}"),
        ChecklistItem("Open science", "Funding and conflicts of interest", todo),
        ChecklistItem("Open science", "Patient and public involvement", todo),
        ChecklistItem("Results", "Model performance with confidence intervals", f"primary {meta.primary_metric} = {metrics.primary_value().value:.4f} on {meta.n_test_samples} test samples"),
        ChecklistItem("Discussion", "Limitations, generalisability, and implications for use", todo),
    ]
