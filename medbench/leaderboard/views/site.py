"""`medbench leaderboard build`: a static site readable from disk, with no server and no network.

    <out>/index.html                  every board, its leader and counts
    <out>/<board>/index.html          the board: a forest plot, the ranking (one row per config, its
                                      seeds expandable), rejected and stale entries apart, details per
                                      entry (provenance, subgroups, audit history), two entries side by side
    <out>/<board>/<board>.csv, .json  the same numbers as downloads (a timeline board: .pathways.csv too)

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
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from markupsafe import Markup

from medbench.io import atomic_write
from medbench.leaderboard.board.events import now_utc
from medbench.leaderboard.board.groups import METHOD as GROUP_METHOD, Pooled, pooled, pooled_difference
from medbench.leaderboard.board.naming import EntryName, name_entries
from medbench.leaderboard.board.ranking import Ranking, Row
from medbench.leaderboard.views.pathways import pathway_section, pathways_csv
from medbench.leaderboard.views.templating import defused, environment
from medbench.metrics.direction import Scale

CSV_COLUMNS = [
    "entry_id", "name", "group", "section", "rank", "tier", "review", "baseline", "delta_baseline", "p_value", "p_holm",
    "model", "seed", "run_id", "task_version", "submitter", "submitted_at", "git_commit", "git_dirty", "predictions_sha256",
]


def write_site(rankings: Iterable[Ranking], out: Path) -> Path:
    """Write the site of ranked boards, from whichever store ranked them; return the index page."""
    built_at = now_utc()
    summaries = []
    for ranking in rankings:
        board = render_board(ranking, built_at, index_href="../index.html")
        folder = out / ranking.spec.name
        atomic_write(folder / "index.html", board.page.encode("utf-8"), durable=False)
        atomic_write(folder / board.csv_name, board.csv.encode("utf-8"), durable=False)
        atomic_write(folder / board.json_name, board.json.encode("utf-8"), durable=False)
        if board.pathways_csv is not None:
            atomic_write(folder / board.pathways_csv_name, board.pathways_csv.encode("utf-8"), durable=False)
        summaries.append(board.summary)
    index = out / "index.html"
    atomic_write(index, render_index(summaries, built_at, lambda name: f"{name}/index.html").encode("utf-8"), durable=False)
    return index


@dataclass(frozen=True)
class BoardPage:
    """A board rendered: its page, its downloads and its line of the index."""

    page: str
    json: str
    csv: str
    csv_name: str
    json_name: str
    summary: dict[str, Any]
    # A timeline board's care pathways (shown rows and subgroup cells), else None.
    pathways_csv: Optional[str] = None

    pathways_csv_name: str = ""


def render_board(ranking: Ranking, built_at: str, *, index_href: str, download_prefix: str = "") -> BoardPage:
    """The board's page (downloads linked at `download_prefix` + their file name) and downloads:
    the one rendering the static site writes and `medbench serve` answers."""
    spec = ranking.spec
    names = name_entries({row.entry_id: row.entry for row in _all_rows(ranking)})
    csv_name, json_name, pathways_csv_name = f"{spec.name}.csv", f"{spec.name}.json", f"{spec.name}.pathways.csv"
    data = board_json(ranking, names)
    baseline = next((row for row in ranking.current if row.is_baseline), None)
    pathways = pathway_section(ranking)
    page = environment().get_template("board.html").render(
        spec=spec,
        better=_scales(spec)[spec.primary].better,
        baseline=f"{names[baseline.entry_id].text} (entry {baseline.entry_id[:12]})" if baseline else None,
        level=_level_text(ranking),
        tiers_note=ranking.tiers_note,
        group_method=GROUP_METHOD,
        non_official=sum(row.entry.provenance.official_release is False for row in _all_rows(ranking)),
        built_at=built_at,
        index_href=index_href,
        csv_href=download_prefix + csv_name,
        json_href=download_prefix + json_name,
        counts={"ranked": len(ranking.current), "rejected": len(ranking.rejected), "stale": len(ranking.stale)},
        data=embeddable(data),
        pathways=pathways,
        pathways_csv_href=download_prefix + pathways_csv_name,
    )
    return BoardPage(
        page, data, _csv(ranking, names), csv_name, json_name, _summary(ranking, names),
        pathways_csv(pathways.summary) if pathways else None, pathways_csv_name,
    )


def render_index(summaries: list[dict[str, Any]], built_at: str, page_of: Callable[[str], str]) -> str:
    """The index of boards (`page_of(name)` links each board's page)."""
    boards = [dict(summary, page=page_of(summary["name"])) for summary in summaries]
    return environment().get_template("index.html").render(boards=boards, built_at=built_at)



def embeddable(data: str) -> Markup:
    """JSON safe inside a <script> element: no `<` at all (no `</script>`, no `<!--`), same JSON value."""
    return Markup(data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def ranking_json(ranking: Ranking) -> str:
    """The board page's JSON for a ranking from any store (the service answers with it)."""
    return board_json(ranking, name_entries({row.entry_id: row.entry for row in _all_rows(ranking)}))


def board_json(ranking: Ranking, names: dict[str, EntryName]) -> str:
    """The board, its entries (each serialised by its schema, then spliced in), groups, scales and paired tests."""
    spec = ranking.spec
    groups = {
        section: _groups(rows_, names, spec, section == "ranked", ranking.rejected if section == "ranked" else ())
        for section, rows_ in _sections(ranking).items()
    }
    place = places(groups["ranked"], {row.entry_id: row for row in ranking.current}, spec)
    rows = []
    for row in _all_rows(ranking):
        name = names[row.entry_id]
        meta = json.dumps(
            {
                "entry_id": row.entry_id,
                "section": _section(row),
                "rank": row.rank,
                "place": place.get(row.entry_id),
                "tier": row.tier,
                "stale": row.stale,
                "review": row.state,
                "baseline": row.is_baseline,
                "delta_baseline": row.delta,
                "versus_baseline": asdict(row.versus_baseline) if row.versus_baseline else None,
                "name": name.text,
                "group": name.group,
                "team": _team(ranking.history.get(row.entry_id, [])),
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
            "groups": groups,
            "group_method": GROUP_METHOD,
            "leader": leader(ranking, names),
            "pairs": {key: {m: asdict(test) for m, test in tests.items()} for key, tests in ranking.pairs.items()},
            "curves": ranking.curves,
            "subgroup_n": ranking.subgroup_n,
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
    """One group per config (its seeds together), with each metric pooled over its seeds (`groups`)
    and, on a board with a baseline, its pooled difference from it with interval and p.

    Ranked groups are ordered and ranked by their pooled primary metric (equally good ones share a
    rank): the one sequence of ranks the table and the forest plot show. A group's seeds are placed
    within it ("2.1", "2.2": `places`); the others keep the order of their first entry.

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
        level = group_rows[0].entry.protocol.confidence.level
        summary = {}
        for metric in spec.metrics:
            values = [row.entry.metrics[metric] for row in counted if metric in row.entry.metrics]
            summary[metric] = asdict(_pooled(values, level, spec.kind, metric)) if values else None
        groups.append(
            {"group": key, "name": name.text, "title": name.title, "details": list(name.details), "rank": None,
             "entries": [row.entry_id for row in counted], "rejected": [row.entry_id for row in dropped.get(key, [])],
             "pooled": summary, "delta": _pooled_delta(group_rows, level)}
        )
    if ranked:
        loss = spec.protocol.primary_loss()
        groups.sort(key=lambda group: loss(group["pooled"][spec.primary]["value"]))
        previous = None
        for position, group in enumerate(groups, start=1):
            mean_loss = loss(group["pooled"][spec.primary]["value"])
            group["rank"] = position if mean_loss != previous else groups[position - 2]["rank"]
            previous = mean_loss
    return groups


def _pooled(values: list[Any], level: float, kind: str, metric: str) -> Pooled:
    """A metric pooled over seeds, its interval kept within the values the metric can take."""
    from medbench.metrics.registry import scale_of

    result = pooled(
        [v.value for v in values], [v.ci.low if v.ci else None for v in values], [v.ci.high if v.ci else None for v in values], level
    )
    scale = scale_of(kind, metric)
    low = max(result.low, scale.low) if result.low is not None and scale.low is not None else result.low
    high = min(result.high, scale.high) if result.high is not None and scale.high is not None else result.high
    return dataclasses.replace(result, low=low, high=high)


def _pooled_delta(rows: list[Row], level: float) -> Optional[dict[str, Any]]:
    """The group's difference from the baseline (None without one, or when the group holds it)."""
    if any(row.delta is None or row.is_baseline for row in rows):
        return None
    tests = [row.versus_baseline for row in rows]
    if any(test is None for test in tests):
        return asdict(Pooled(sum(row.delta for row in rows) / len(rows), None, None, None, len(rows)))  # type: ignore[misc]
    return asdict(pooled_difference([t.difference for t in tests], [t.low for t in tests], [t.high for t in tests], level))  # type: ignore[union-attr]


def places(groups: list[dict[str, Any]], rows: dict[str, Row], spec: Any) -> dict[str, str]:
    """Each ranked entry's place: its group's rank, then (for a group of seeds) its rank within the group."""
    loss = spec.protocol.primary_loss()
    found = {}
    for group in groups:
        if len(group["entries"]) == 1:
            found[group["entries"][0]] = str(group["rank"])
            continue
        ordered = sorted((entry_id for entry_id in group["entries"] if entry_id in rows), key=lambda entry_id: (loss(rows[entry_id].entry.metrics[spec.primary].value), entry_id))
        for position, entry_id in enumerate(ordered, start=1):
            found[entry_id] = f"{group['rank']}.{position}"
    return found


def _levels(ranking: Ranking) -> list[float]:
    """The confidence levels of the entries' intervals (one, unless the task's protocol changed)."""
    return sorted({row.entry.protocol.confidence.level for row in _all_rows(ranking)})


def _level_text(ranking: Ranking) -> str:
    levels = _levels(ranking)
    return " / ".join(f"{level:.0%}" for level in levels) if levels else "no"


def leader(ranking: Ranking, names: dict[str, EntryName]) -> Optional[dict[str, Any]]:
    """The board's leading group (or entry) and whom it ties with: the groups sharing its tier, or,
    where no tiers were computed, the groups whose pooled interval overlaps its own."""
    groups = _groups(ranking.current, names, ranking.spec, True)
    if not groups:
        return None
    top, primary = groups[0], ranking.spec.primary
    tier_of = {row.entry_id: row.tier for row in ranking.current}

    def best_tier(group: dict[str, Any]) -> Optional[int]:
        tiers = [tier_of[entry_id] for entry_id in group["entries"] if tier_of[entry_id] is not None]
        return min(tiers) if tiers else None

    value = top["pooled"][primary]
    if best_tier(top) is not None:
        tied = [g for g in groups[1:] if best_tier(g) == best_tier(top)]
        how = f"tier T{best_tier(top)}"
    elif value["low"] is not None:
        tied = [g for g in groups[1:] if g["pooled"][primary]["low"] is not None and g["pooled"][primary]["low"] <= value["high"]
                and g["pooled"][primary]["high"] >= value["low"]]
        how = "overlapping intervals"
    else:
        tied = [g for g in groups[1:] if g["rank"] == top["rank"]]
        how = "the same value"
    single = len(top["entries"]) == 1
    return {
        "name": top["name"] + (f" (entry {top['entries'][0][:12]})" if single else f" ({len(top['entries'])} seeds)"),
        "group": top["group"], "value": value["value"], "low": value["low"], "high": value["high"],
        "tied": len(tied), "tie_note": f"tied with {len(tied)} other{'s' if len(tied) > 1 else ''} ({how}): "
        + ", ".join(g["name"] for g in tied[:3]) + (" …" if len(tied) > 3 else "") if tied else "",
    }


def _summary(ranking: Ranking, names: dict[str, EntryName]) -> dict[str, Any]:
    spec = ranking.spec
    top = leader(ranking, names)
    return {
        "name": spec.name,
        "task": spec.task,
        "version": spec.task_version,
        "primary": f"{spec.primary} ({_scales(spec)[spec.primary].better} is better)",
        "current": len(ranking.current),
        "rejected": len(ranking.rejected),
        "stale": len(ranking.stale),
        "approved": sum(row.state == "approved" for row in ranking.current),
        "leader": top["name"] if top else "–",
        "tie_note": top["tie_note"] if top else "",
        "leader_v": repr(top["value"]) if top else "",
        "leader_score": f"{top['value']:.4f}" if top else "–",
        "leader_ci": f"[{top['low']:.4f}, {top['high']:.4f}]" if top and top["low"] is not None else "",
    }


def _team(history: list[Any]) -> Optional[str]:
    """The team a committee entry was submitted for (its submit event says so; folder boards have none)."""
    return next((str(event.data["team"]) for event in history if event.event == "submit" and event.data.get("team")), None)


def _csv(ranking: Ranking, names: dict[str, EntryName]) -> str:
    spec = ranking.spec
    place = places(_groups(ranking.current, names, spec, True), {row.entry_id: row for row in ranking.current}, spec)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS + [f"{name}{suffix}" for name in spec.metrics for suffix in ("", "_ci_low", "_ci_high")])
    # Only these columns can hold text that starts a formula; the metric columns after them are numbers.
    writer.writerows(
        [*(defused(cell) for cell in row_cells[: len(CSV_COLUMNS)]), *row_cells[len(CSV_COLUMNS) :]]
        for row_cells in (_csv_row(row, names, spec.metrics, place) for row in _all_rows(ranking))
    )
    return buffer.getvalue()


def _csv_row(row: Row, names: dict[str, EntryName], metric_names: list[str], place: dict[str, str]) -> list[Any]:
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
        row.entry_id, names[row.entry_id].text, names[row.entry_id].group, _section(row), place.get(row.entry_id, ""), _blank(row.tier),
        row.state, row.is_baseline, _blank(row.delta), _blank(test.p_value if test else None), _blank(test.p_holm if test else None),
        p.model_target, p.seed, p.run_id, row.entry.task_version, p.submitter, p.submitted_at, p.git_commit or "",
        p.git_dirty, p.predictions_sha256,
    ] + metrics


def _blank(value: Any) -> Any:
    return "" if value is None else value
