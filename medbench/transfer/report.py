"""The evaluation report of a bundle: one self-contained HTML file (plots inlined as PNG).

Plots are drawn from the record's predictions at export time; only curves and per-query scores (aggregates) go
into the report, never a per-sample row. The checklist follows the TRIPOD+AI items a run record
can answer; the others say plainly that the developer must complete them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from medbench.transfer.bundle import TO_BE_COMPLETED, BundleMetadata
from medbench.io import atomic_write
from medbench.records.record import RunRecord
from medbench.tasks.registry import get_kind

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

    environment = Environment(loader=PackageLoader("medbench.transfer", "templates"), autoescape=select_autoescape(["html"]))
    html = environment.get_template(TEMPLATE).render(
        meta=meta,
        plots=plots_for(record, meta.task.kind, meta.primary_metric) + pathway_plots(record),
        checklist=checklist(record, meta),
        subgroups=record.metrics().subgroups,
    )
    atomic_write(path, html)


def plots_for(record: RunRecord, kind: str, primary: str) -> list[tuple[str, str]]:
    """(title, base64 PNG) pairs the task kind draws from the record's predictions (none for some kinds)."""
    from medbench.metrics.registry import get_metric, prepare
    from medbench.tasks.outputs import TaskOutputs

    outputs = TaskOutputs(record.predictions(), record.qrels())
    metric = get_metric(kind, primary)
    per_unit = metric.unit_values(prepare(kind, outputs)) if metric.per_unit else None
    return get_kind(kind).plots(outputs.predictions, outputs.qrels, primary, per_unit)


def pathway_plots(record: RunRecord) -> list[tuple[str, str]]:
    """The test cohort's care pathways of a timeline run (aggregates of at least k patients), else nothing."""
    from medbench.records.pathways import pathway_figure

    summary = record.pathways()
    if summary is None:
        return []
    title = f"Care pathways of the {summary.n_patients} test patients after {' | '.join(summary.index_codes)} (pathways of fewer than {summary.min_patients} patients suppressed)"
    return [(title, pathway_figure(summary))]


def checklist(record: RunRecord, meta: BundleMetadata) -> list[ChecklistItem]:
    """TRIPOD+AI-style items: answered from the record where it knows, else marked for the developer."""
    split_seed = record.manifest.dataset.split_seed if record.manifest.dataset else None
    metrics = record.metrics()
    # A bootstrap interval names the plan; an exact one (a collapsed share's Clopper-Pearson) does not.
    ci = next((v.ci for v in metrics.values.values() if v.ci is not None and v.ci.n_resamples > 0), None)
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
