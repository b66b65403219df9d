"""`medbench leaderboard build`: a static site readable from disk, with no server and no network.

    <out>/index.html                  every board, its leader and counts
    <out>/<board>/index.html          the ranking: sortable table, CI bars on a shared axis (a forest
                                      plot), tiers, Δ baseline, review state, provenance per entry
    <out>/<board>/<board>.csv, .json  the same numbers as downloads

Styles and the sorting script are inlined; nothing is fetched. Numbers are formatted once here,
and every cell also carries the exact value (`data-v`) that sorting uses and tests compare.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, select_autoescape

from medbench.leaderboard.audit import now_utc
from medbench.leaderboard.ranking import Ranking, Row, rank_board
from medbench.leaderboard.store import Board, atomic_write, board_names
from medbench.record import MetricValue

FOREST_WIDTH, FOREST_HEIGHT = 160, 14
# Given a board, its tiers by entry id and a note on how they were made (or why there are none).
TierFunction = Callable[[Board], tuple[Optional[dict[str, int]], str]]


def build_site(root: Path, out: Path, tiers: Optional[TierFunction] = None) -> Path:
    """Write the site for every board under `root` into `out`; return the index page."""
    environment = Environment(loader=PackageLoader("medbench.leaderboard", "templates"), autoescape=select_autoescape(["html"]))
    built_at = now_utc()
    summaries = []
    for name in board_names(root):
        board = Board(root, name)
        board_tiers, note = tiers(board) if tiers else (None, "not computed")
        ranking = rank_board(board, board_tiers, note)
        _write_board(environment, ranking, out / name, built_at)
        summaries.append(_summary(ranking))
    index = out / "index.html"
    atomic_write(index, environment.get_template("index.html").render(boards=summaries, built_at=built_at).encode("utf-8"))
    return index


def _write_board(environment: Environment, ranking: Ranking, folder: Path, built_at: str) -> None:
    spec = ranking.spec
    others = [name for name in spec.metrics if name != spec.primary]
    axis = _axis(ranking.current or ranking.stale, spec.primary)
    baseline_row = next((row for row in ranking.current if row.is_baseline), None)
    baseline_value = baseline_row.entry.metrics[spec.primary].value if baseline_row else None
    views = {
        "current": [_row_view(ranking, row, others, axis, baseline_value) for row in ranking.current],
        "stale": [_row_view(ranking, row, others, axis, None) for row in ranking.stale],
    }
    csv_name, json_name = f"{spec.name}.csv", f"{spec.name}.json"
    page = environment.get_template("board.html").render(
        spec=spec,
        others=others,
        baseline=f"{spec.baseline[:12]} ({baseline_row.entry.label})" if baseline_row else "none named",
        tiers_note=ranking.tiers_note,
        built_at=built_at,
        axis_low=f"{axis[0]:.4f}",
        axis_high=f"{axis[1]:.4f}",
        csv_name=csv_name,
        json_name=json_name,
        **views,
    )
    atomic_write(folder / "index.html", page.encode("utf-8"))
    atomic_write(folder / csv_name, _csv(ranking).encode("utf-8"))
    atomic_write(folder / json_name, _json(ranking).encode("utf-8"))


def _row_view(ranking: Ranking, row: Row, others: list[str], axis: tuple[float, float], baseline: Optional[float]) -> dict[str, Any]:
    spec, entry = ranking.spec, row.entry
    primary = entry.metrics.get(spec.primary) or entry.primary_value()
    provenance = entry.provenance
    classes = [f"state-row-{row.state}"]
    if row.is_baseline:
        classes.append("baseline")
    return {
        "id": row.entry_id,
        "short": row.entry_id[:12],
        "classes": " ".join(classes),
        "rank": row.rank if row.rank is not None else "–",
        "rank_v": row.rank if row.rank is not None else "",
        "tier": f'<span class="tier{" t-odd" if row.tier % 2 else ""}">T{row.tier}</span>' if row.tier is not None else "–",
        "tier_v": row.tier if row.tier is not None else "",
        "label": entry.label,
        "primary": f"{primary.value:.4f}",
        "primary_v": repr(primary.value),
        "ci": f"[{primary.ci.low:.4f}, {primary.ci.high:.4f}]" if primary.ci else "–",
        "ci_v": repr(primary.ci.high - primary.ci.low) if primary.ci else "",
        "svg": _forest_bar(primary, axis, baseline),
        "others": [_metric_cell(name, entry.metrics.get(name)) for name in others],
        "delta": "baseline" if row.is_baseline else (f"{row.delta:+.4f}" if row.delta is not None else "–"),
        "delta_v": repr(row.delta) if row.delta is not None else "",
        "state": row.state,
        "submitter": provenance.submitter,
        "submitted": provenance.submitted_at[:10],
        "run_id": provenance.run_id,
        "provenance": _provenance(row, ranking),
    }


def _metric_cell(name: str, metric: Optional[MetricValue]) -> tuple[str, str, str]:
    if metric is None:
        return name, "", "–"
    return name, repr(metric.value), f"{metric.value:.4f}"


def _provenance(row: Row, ranking: Ranking) -> list[tuple[str, str]]:
    entry, p = row.entry, row.entry.provenance
    items = [
        ("entry", row.entry_id),
        ("run id", p.run_id),
        ("model", p.model_target),
        ("seed", str(p.seed)),
        ("overrides", " ".join(p.overrides) or "none"),
        ("parameters", str(p.parameter_count) if p.parameter_count is not None else "unknown"),
        ("checkpoint sha256", p.checkpoint_sha256 or "none"),
        ("git commit", f"{p.git_commit or 'unknown'}{' (dirty)' if p.git_dirty else ''}"),
        ("medbench", p.medbench_version),
        ("python / platform", f"{p.python} / {p.platform}"),
        ("packages", ", ".join(f"{k} {v}" for k, v in sorted(p.packages.items()) if v)),
        ("task version", entry.task_version),
        ("dataset", f"{entry.dataset_fingerprint} ({p.dataset_source}; {', '.join(f'{k} {v}' for k, v in p.split_sizes.items())})"),
        ("test samples", str(entry.n_samples)),
        ("predictions sha256", p.predictions_sha256),
        ("run started", f"{p.started_at} ({p.duration_s:.1f} s)"),
        ("submitted", f"{p.submitted_at} by {p.submitter}"),
    ]
    for event in ranking.history.get(row.entry_id, []):
        items.append((f"audit {event.seq}", f"{event.time} {event.event} by {event.actor}{': ' + event.note if event.note else ''}"))
    return items


def _axis(rows: list[Row], primary: str) -> tuple[float, float]:
    """The shared range of the forest plot: every interval (or value) of the shown rows, padded."""
    lows, highs = [], []
    for row in rows:
        metric = row.entry.metrics.get(primary) or row.entry.primary_value()
        lows.append(metric.ci.low if metric.ci else metric.value)
        highs.append(metric.ci.high if metric.ci else metric.value)
    if not lows:
        return 0.0, 1.0
    low, high = min(lows), max(highs)
    pad = (high - low) * 0.05 or 0.01
    return low - pad, high + pad


def _forest_bar(metric: MetricValue, axis: tuple[float, float], baseline: Optional[float]) -> str:
    low, high = axis

    def x(value: float) -> float:
        return round((value - low) / (high - low) * FOREST_WIDTH, 1)

    middle = FOREST_HEIGHT / 2
    parts = [f'<svg class="ci" width="{FOREST_WIDTH}" height="{FOREST_HEIGHT}" role="img" aria-label="{metric.value:.4f}">']
    if baseline is not None:
        parts.append(f'<line class="base" x1="{x(baseline)}" x2="{x(baseline)}" y1="0" y2="{FOREST_HEIGHT}"/>')
    if metric.ci is not None:
        parts.append(f'<line class="bar" x1="{x(metric.ci.low)}" x2="{x(metric.ci.high)}" y1="{middle}" y2="{middle}"/>')
    parts.append(f'<circle cx="{x(metric.value)}" cy="{middle}" r="3"/></svg>')
    return "".join(parts)


def _summary(ranking: Ranking) -> dict[str, Any]:
    spec = ranking.spec
    leader = ranking.current[0] if ranking.current else None
    value = leader.entry.metrics[spec.primary].value if leader else None
    return {
        "name": spec.name,
        "page": f"{spec.name}/index.html",
        "task": spec.task,
        "version": spec.task_version,
        "primary": f"{spec.primary} ({spec.direction})",
        "current": len(ranking.current),
        "stale": len(ranking.stale),
        "approved": sum(row.state == "approved" for row in ranking.current),
        "leader": f"{leader.entry_id[:12]} {leader.entry.label}" if leader else "–",
        "leader_v": repr(value) if value is not None else "",
        "leader_score": f"{value:.4f}" if value is not None else "–",
    }


def _csv(ranking: Ranking) -> str:
    spec = ranking.spec
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["entry_id", "rank", "tier", "stale", "review", "baseline", "delta_baseline", "model", "seed", "run_id",
         "task_version", "submitter", "submitted_at", "git_commit", "git_dirty", "predictions_sha256"]
        + [f"{name}{suffix}" for name in spec.metrics for suffix in ("", "_ci_low", "_ci_high")]
    )
    for row in ranking.current + ranking.stale:
        p = row.entry.provenance
        metrics = []
        for name in spec.metrics:
            metric = row.entry.metrics.get(name)
            metrics += [metric.value, metric.ci.low, metric.ci.high] if metric and metric.ci else [metric.value if metric else "", "", ""]
        writer.writerow(
            [row.entry_id, row.rank if row.rank is not None else "", row.tier if row.tier is not None else "", row.stale,
             row.state, row.is_baseline, row.delta if row.delta is not None else "", p.model_target, p.seed, p.run_id,
             row.entry.task_version, p.submitter, p.submitted_at, p.git_commit or "", p.git_dirty, p.predictions_sha256]
            + metrics
        )
    return buffer.getvalue()


def _json(ranking: Ranking) -> str:
    rows = [
        {
            "entry_id": row.entry_id,
            "rank": row.rank,
            "tier": row.tier,
            "stale": row.stale,
            "review": row.state,
            "baseline": row.is_baseline,
            "delta_baseline": row.delta,
            "entry": row.entry.model_dump(mode="json"),
        }
        for row in ranking.current + ranking.stale
    ]
    return json.dumps({"board": ranking.spec.model_dump(mode="json"), "tiers": ranking.tiers_note, "entries": rows}, indent=1)
