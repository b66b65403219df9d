"""`medbench leaderboard build`: a static site readable from disk, with no server and no network.

    <out>/index.html                  every board, its leader and counts
    <out>/<board>/index.html          the board: a forest plot, the ranking (one row per config, its
                                      seeds expandable), rejected and stale entries apart, details per
                                      entry (provenance, subgroups, audit history), two entries side by side
    <out>/<board>/<board>.csv, .json  the same numbers as downloads

The board page embeds its JSON download and a small script draws everything from it: a board of
10,000 entries has some 400,000 cells, and formatting them in Python (jinja or not) took seconds,
where serialising the entries once is fast and the browser draws them in a blink. Styles and
scripts are inlined; nothing is fetched. Every number cell carries the exact value (`data-v`)
that sorting uses and tests compare.

What the Python side decides, so that the page, the downloads and `leaderboard show` agree: the
names and groups (`naming`), the ranking and review sections (`ranking`), each metric's direction,
range, unit and target (the metric registry's scale of its family; the page draws unbounded axes
from the data), the confidence level (the task's protocol, as the entries record it)
and the paired tests (`tiers`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from medbench.io import atomic_write
from medbench.leaderboard.board.events import now_utc
from medbench.leaderboard.board.naming import EntryName, name_entries, spread
from medbench.leaderboard.board.ranking import Ranking, Row
from medbench.metrics.direction import Scale

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = [
    "entry_id", "name", "group", "section", "rank", "tier", "review", "baseline", "delta_baseline", "p_value", "p_holm",
    "model", "seed", "run_id", "task_version", "submitter", "submitted_at", "git_commit", "git_dirty", "predictions_sha256",
]


def write_site(rankings: Iterable[Ranking], out: Path) -> Path:
    """Write the site of ranked boards, from whichever store ranked them; return the index page."""
    environment = Environment(loader=PackageLoader("medbench.leaderboard.views", "templates"), autoescape=select_autoescape(["html"]))
    built_at = now_utc()
    summaries = []
    for ranking in rankings:
        names = name_entries({row.entry_id: row.entry for row in _all_rows(ranking)})
        _write_board(environment, ranking, names, out / ranking.spec.name, built_at)
        summaries.append(_summary(ranking, names))
    index = out / "index.html"
    atomic_write(index, environment.get_template("index.html").render(boards=summaries, built_at=built_at).encode("utf-8"), durable=False)
    return index


def embeddable(data: str) -> Markup:
    """JSON safe inside a <script> element: no `<` at all (no `</script>`, no `<!--`), same JSON value."""
    return Markup(data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _write_board(environment: Environment, ranking: Ranking, names: dict[str, EntryName], folder: Path, built_at: str) -> None:
    spec = ranking.spec
    csv_name, json_name = f"{spec.name}.csv", f"{spec.name}.json"
    data = board_json(ranking, names)
    baseline = next((row for row in ranking.current if row.is_baseline), None)
    page = environment.get_template("board.html").render(
        spec=spec,
        better=_scales(spec)[spec.primary].better,
        baseline=f"{names[baseline.entry_id].text} (entry {baseline.entry_id[:12]})" if baseline else None,
        level=_level_text(ranking),
        tiers_note=ranking.tiers_note,
        built_at=built_at,
        csv_name=csv_name,
        json_name=json_name,
        counts={"ranked": len(ranking.current), "rejected": len(ranking.rejected), "stale": len(ranking.stale)},
        data=embeddable(data),
    )
    atomic_write(folder / "index.html", page.encode("utf-8"), durable=False)
    atomic_write(folder / csv_name, _csv(ranking, names).encode("utf-8"), durable=False)
    atomic_write(folder / json_name, data.encode("utf-8"), durable=False)


def ranking_json(ranking: Ranking) -> str:
    """The board page's JSON for a ranking from any store (the service answers with it)."""
    return board_json(ranking, name_entries({row.entry_id: row.entry for row in _all_rows(ranking)}))


def board_json(ranking: Ranking, names: dict[str, EntryName]) -> str:
    """The board, its entries (each serialised by its schema, then spliced in), groups, scales and paired tests."""
    spec = ranking.spec
    rows = []
    for row in _all_rows(ranking):
        name = names[row.entry_id]
        meta = json.dumps(
            {
                "entry_id": row.entry_id,
                "section": _section(row),
                "rank": row.rank,
                "tier": row.tier,
                "stale": row.stale,
                "review": row.state,
                "baseline": row.is_baseline,
                "delta_baseline": row.delta,
                "versus_baseline": asdict(row.versus_baseline) if row.versus_baseline else None,
                "name": name.text,
                "group": name.group,
                "history": [[e.seq, e.time, e.event, e.actor, e.note] for e in ranking.history.get(row.entry_id, [])],
            },
            allow_nan=False,
        )
        rows.append(f'{meta[:-1]}, "entry": {row.entry.model_dump_json()}}}')
    extra = json.dumps(
        {
            "tiers": ranking.tiers_note,
            "level": _levels(ranking),
            "scales": {metric: scale.as_json() for metric, scale in _scales(spec).items()},
            "groups": {
                section: _groups(rows_, names, spec, section == "ranked", ranking.rejected if section == "ranked" else ())
                for section, rows_ in _sections(ranking).items()
            },
            "pairs": {key: {m: asdict(test) for m, test in tests.items()} for key, tests in ranking.pairs.items()},
        },
        allow_nan=False,
    )
    return f'{{"board": {spec.model_dump_json()}, {extra[1:-1]}, "entries": [\n' + ",\n".join(rows) + "\n]}\n"


def _scales(spec: Any) -> dict[str, Scale]:
    """Each metric's scale as its family registered it: the page's arrows, axes and units (the
    registry loads numpy, so only when a page is drawn)."""
    from medbench.metrics.registry import scale_of

    return {metric: scale_of(spec.kind, metric) for metric in spec.metrics}


def _all_rows(ranking: Ranking) -> list[Row]:
    return ranking.current + ranking.rejected + ranking.stale


def _sections(ranking: Ranking) -> dict[str, list[Row]]:
    return {"ranked": ranking.current, "rejected": ranking.rejected, "stale": ranking.stale}


def _section(row: Row) -> str:
    return "stale" if row.stale else "ranked" if row.rank is not None else "rejected"


def _groups(rows: list[Row], names: dict[str, EntryName], spec: Any, ranked: bool, rejected: Sequence[Row] = ()) -> list[dict[str, Any]]:
    """One group per config (its seeds together). Ranked groups are ordered and ranked by their mean
    primary metric (ties share a rank); the others keep the order of their first entry.

    A ranked group counts every seed submitted of its config: a seed the committee rejected stays
    in the group's figures and is named in `rejected`, so rejecting the worse seed of two cannot
    turn a group into its better seed alone."""
    members: dict[str, list[Row]] = {}
    for row in rows:
        members.setdefault(names[row.entry_id].group, []).append(row)
    dropped: dict[str, list[Row]] = {}
    for row in rejected:
        if names[row.entry_id].group in members:
            dropped.setdefault(names[row.entry_id].group, []).append(row)
    groups = []
    for key, group_rows in members.items():
        name = names[group_rows[0].entry_id]
        counted = group_rows + dropped.get(key, [])
        summary = {}
        for metric in spec.metrics:
            values = [row.entry.metrics[metric].value for row in counted if metric in row.entry.metrics]
            summary[metric] = vars(spread(values)) if values else None
        groups.append(
            {"group": key, "name": name.text, "title": name.title, "details": list(name.details), "rank": None,
             "entries": [row.entry_id for row in counted], "rejected": [row.entry_id for row in dropped.get(key, [])],
             "spread": summary}
        )
    if ranked:
        loss = spec.protocol.primary_loss()
        groups.sort(key=lambda group: loss(group["spread"][spec.primary]["mean"]))
        previous = None
        for position, group in enumerate(groups, start=1):
            mean_loss = loss(group["spread"][spec.primary]["mean"])
            group["rank"] = position if mean_loss != previous else groups[position - 2]["rank"]
            previous = mean_loss
    return groups


def _levels(ranking: Ranking) -> list[float]:
    """The confidence levels of the entries' intervals (one, unless the task's protocol changed)."""
    return sorted({row.entry.protocol.confidence.level for row in _all_rows(ranking)})


def _level_text(ranking: Ranking) -> str:
    levels = _levels(ranking)
    return " / ".join(f"{level:.0%}" for level in levels) if levels else "no"


def _summary(ranking: Ranking, names: dict[str, EntryName]) -> dict[str, Any]:
    spec = ranking.spec
    leader = ranking.current[0] if ranking.current else None
    value = leader.entry.metrics[spec.primary].value if leader else None
    return {
        "name": spec.name,
        "page": f"{spec.name}/index.html",
        "task": spec.task,
        "version": spec.task_version,
        "primary": f"{spec.primary} ({_scales(spec)[spec.primary].better} is better)",
        "current": len(ranking.current),
        "rejected": len(ranking.rejected),
        "stale": len(ranking.stale),
        "approved": sum(row.state == "approved" for row in ranking.current),
        "leader": f"{names[leader.entry_id].text} ({leader.entry_id[:12]})" if leader else "–",
        "leader_v": repr(value) if value is not None else "",
        "leader_score": f"{value:.4f}" if value is not None else "–",
    }


def _csv(ranking: Ranking, names: dict[str, EntryName]) -> str:
    spec = ranking.spec
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS + [f"{name}{suffix}" for name in spec.metrics for suffix in ("", "_ci_low", "_ci_high")])
    # Only these columns can hold text that starts a formula; the metric columns after them are numbers.
    writer.writerows(
        [*(defused(cell) for cell in row_cells[: len(CSV_COLUMNS)]), *row_cells[len(CSV_COLUMNS) :]]
        for row_cells in (_csv_row(row, names, spec.metrics) for row in _all_rows(ranking))
    )
    return buffer.getvalue()


def defused(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _csv_row(row: Row, names: dict[str, EntryName], metric_names: list[str]) -> list[Any]:
    p = row.entry.provenance
    test = row.versus_baseline
    metrics: list[Any] = []
    for name in metric_names:
        metric = row.entry.metrics.get(name)
        if metric is None:
            metrics += ["", "", ""]
        else:
            metrics += [metric.value, metric.ci.low if metric.ci else "", metric.ci.high if metric.ci else ""]
    return [
        row.entry_id, names[row.entry_id].text, names[row.entry_id].group, _section(row), _blank(row.rank), _blank(row.tier),
        row.state, row.is_baseline, _blank(row.delta), _blank(test.p_value if test else None), _blank(test.p_holm if test else None),
        p.model_target, p.seed, p.run_id, row.entry.task_version, p.submitter, p.submitted_at, p.git_commit or "",
        p.git_dirty, p.predictions_sha256,
    ] + metrics


def _blank(value: Any) -> Any:
    return "" if value is None else value
