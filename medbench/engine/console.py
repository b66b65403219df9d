"""What a run shows on the terminal: the config as a tree, and the headline of its record."""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.syntax import Syntax
from rich.tree import Tree

from medbench.records.record import Metrics, RunRecord

ORDER = ("task", "model", "trainer", "callbacks", "logger", "paths")


def print_config_tree(cfg: DictConfig, console: Console | None = None) -> None:
    """One branch per config group, in the order a reader checks them."""
    console = console or Console(stderr=True)
    tree = Tree("[bold]config[/bold]")
    keys = [k for k in ORDER if k in cfg] + [k for k in cfg if k not in ORDER and k != "hydra"]
    for key in keys:
        value = cfg[key]
        if not isinstance(value, DictConfig):
            tree.add(f"[bold cyan]{key}[/bold cyan]: {value}")
            continue
        branch = tree.add(f"[bold cyan]{key}[/bold cyan]")
        text = OmegaConf.to_yaml(value, resolve=True).rstrip() or "{}"
        branch.add(Syntax(text, "yaml", theme="ansi_dark", background_color="default"))
    console.print(tree)


def headline(record: RunRecord) -> str:
    """`record: <path>` and the primary metric with its confidence interval when there is one."""
    lines = [f"record: {record.path}"]
    if not record.complete:
        lines.append(f"status: failed ({record.manifest.failure.type if record.manifest.failure else 'unknown'})")
        return "\n".join(lines)
    lines.extend(metric_lines(record.protocol.name, record.metrics()))
    return "\n".join(lines)


def next_step(record: RunRecord) -> str:
    """The command a user most likely wants after a complete run: submitting it to its board."""
    import os
    from pathlib import Path

    path = Path(record.path)
    try:
        shown = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        shown = str(path)
    shown = shown if not shown.startswith("..") else str(path)
    return f"next: medbench submit {shown}    (or: medbench export {shown} -o bundle --zip)"


def metric_lines(task_name: str, metrics: Metrics) -> list[str]:
    """One line per metric: value, and its interval with level, method and what was resampled."""
    lines = []
    for name, metric in metrics.values.items():
        marker = " (primary)" if name == metrics.primary else ""
        interval = ""
        if metric.ci is not None:
            unit = f", by {metric.ci.resampling_unit}" if metric.ci.resampling_unit else ""
            interval = f" [{metric.ci.low:.4f}, {metric.ci.high:.4f}] ({metric.ci.level:.0%} CI, {metric.ci.method}{unit})"
        lines.append(f"{task_name} {name}{marker}: {metric.value:.4f}{interval}")
    return lines
