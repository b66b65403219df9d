"""Care pathways as an HTML page: what `medbench timeline pathways` writes.

The figure and the timing are those of the shared summary (:mod:`medbench.records.pathways`),
the same that a run's record, a board page and a bundle report show.
"""

from __future__ import annotations

import html

from medbench.data.timeline.pathways import Pathways
from medbench.records.pathways import pathway_figure, step_timing


def pathway_page(result: Pathways, title: str, top: int = 10) -> str:
    """A self-contained HTML page: the figure, the top pathways with their timing, and subgroup shares."""
    summary = result.summary(top)
    rows = [
        f"<tr><td>{html.escape(row.pathway)}</td><td>{row.n_patients}</td><td>{row.share:.1%}</td><td>{html.escape(step_timing(row))}</td></tr>"
        for row in summary.rows
    ]
    subgroup = ""
    if result.by_subgroup is not None:
        cells = "".join(
            f"<tr><td>{html.escape(str(g))}</td><td>{html.escape(p)}</td><td>{n}</td><td>{s:.1%}</td></tr>"
            for g, p, n, s in result.by_subgroup.iter_rows()
        )
        subgroup = (
            f"<h2>By {html.escape(str(result.subgroup))}</h2><table><tr><th>{html.escape(str(result.subgroup))}</th>"
            f"<th>pathway</th><th>patients</th><th>share of the subgroup</th></tr>{cells}</table>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>"
        f"<p>{result.n_patients} patients with the index event; {result.suppressed} pathways of "
        f"{result.suppressed_patients} patients suppressed (fewer than {result.min_patients} patients each).</p>"
        f"<img alt='pathways' src='data:image/png;base64,{pathway_figure(summary, top)}'>"
        "<h2>Most frequent pathways</h2><table><tr><th>pathway</th><th>patients</th><th>share</th>"
        f"<th>median time between steps</th></tr>{''.join(rows)}</table>{subgroup}</body></html>\n"
    )
