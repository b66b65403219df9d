"""`medbench leaderboard build`: a static site readable from disk, with no server and no network.

    <out>/index.html                  every board, its leader and counts
    <out>/<board>/index.html          the ranking: sortable table, CI bars on a shared axis (a forest
                                      plot), tiers, Δ baseline, review state, provenance per entry
    <out>/<board>/<board>.csv, .json  the same numbers as downloads

The board page embeds its JSON download and a small script draws the rows from it: a board of
10,000 entries has some 400,000 cells, and formatting them in Python (jinja or not) took seconds,
where serialising the entries once is fast and the browser draws them in a blink. Styles and
scripts are inlined; nothing is fetched. Every cell carries the exact value (`data-v`) that
sorting uses and tests compare.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from medbench.leaderboard.audit import now_utc
from medbench.leaderboard.ranking import Ranking, Row, TiersOf, rank_board
from medbench.io import atomic_write
from medbench.leaderboard.store import Board, board_names

def build_site(root: Path, out: Path, tiers: Optional[TiersOf] = None) -> Path:
    """Write the site for every board under `root` into `out`; return the index page."""
    environment = Environment(loader=PackageLoader("medbench.leaderboard", "templates"), autoescape=select_autoescape(["html"]))
    built_at = now_utc()
    summaries = []
    for name in board_names(root):
        ranking = rank_board(Board(root, name), tiers)
        _write_board(environment, ranking, out / name, built_at)
        summaries.append(_summary(ranking))
    index = out / "index.html"
    atomic_write(index, environment.get_template("index.html").render(boards=summaries, built_at=built_at).encode("utf-8"), durable=False)
    return index


def _write_board(environment: Environment, ranking: Ranking, folder: Path, built_at: str) -> None:
    spec = ranking.spec
    baseline_row = next((row for row in ranking.current if row.is_baseline), None)
    csv_name, json_name = f"{spec.name}.csv", f"{spec.name}.json"
    data = board_json(ranking)
    page = environment.get_template("board.html").render(
        spec=spec,
        baseline=f"{spec.baseline[:12]} ({baseline_row.entry.label})" if baseline_row else "none named",
        tiers_note=ranking.tiers_note,
        built_at=built_at,
        csv_name=csv_name,
        json_name=json_name,
        n_current=len(ranking.current),
        n_stale=len(ranking.stale),
        # `</` inside a script element would end it; `<\/` is the same JSON string.
        data=Markup(data.replace("</", "<\\/")),
    )
    atomic_write(folder / "index.html", page.encode("utf-8"), durable=False)
    atomic_write(folder / csv_name, _csv(ranking).encode("utf-8"), durable=False)
    atomic_write(folder / json_name, data.encode("utf-8"), durable=False)


def board_json(ranking: Ranking) -> str:
    """The board, its ranked entries (each serialised by its schema, then spliced in) and their review history."""
    rows = []
    for row in ranking.current + ranking.stale:
        meta = json.dumps(
            {
                "entry_id": row.entry_id,
                "rank": row.rank,
                "tier": row.tier,
                "stale": row.stale,
                "review": row.state,
                "baseline": row.is_baseline,
                "delta_baseline": row.delta,
                "versus_baseline": asdict(row.versus_baseline) if row.versus_baseline else None,
                "history": [[e.seq, e.time, e.event, e.actor, e.note] for e in ranking.history.get(row.entry_id, [])],
            },
            allow_nan=False,
        )
        rows.append(f'{meta[:-1]}, "entry": {row.entry.model_dump_json()}}}')
    board = ranking.spec.model_dump_json()
    return f'{{"board": {board}, "tiers": {json.dumps(ranking.tiers_note)}, "entries": [\n' + ",\n".join(rows) + "\n]}\n"


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
    writer.writerows(_csv_row(row, spec.metrics) for row in ranking.current + ranking.stale)
    return buffer.getvalue()


def _csv_row(row: Row, metric_names: list[str]) -> list[Any]:
    p = row.entry.provenance
    metrics: list[Any] = []
    for name in metric_names:
        metric = row.entry.metrics.get(name)
        if metric is None:
            metrics += ["", "", ""]
        else:
            metrics += [metric.value, metric.ci.low if metric.ci else "", metric.ci.high if metric.ci else ""]
    return [
        row.entry_id, _blank(row.rank), _blank(row.tier), row.stale, row.state, row.is_baseline, _blank(row.delta),
        p.model_target, p.seed, p.run_id, row.entry.task_version, p.submitter, p.submitted_at, p.git_commit or "",
        p.git_dirty, p.predictions_sha256,
    ] + metrics


def _blank(value: Any) -> Any:
    return "" if value is None else value
