"""Care pathways as a figure and an HTML page: what `medbench timeline pathways` writes and a board view can embed.

The figure is an icicle chart (a sunburst unrolled): one column per step, one box per pathway
prefix, its height the share of patients; only pathways shown by :func:`pathways` (each of at
least `min_patients` subjects) are drawn, so the figure carries no small cell either.
"""

from __future__ import annotations

import html

from medbench.data.timeline.pathways import ARROW, Pathways


def pathway_figure(result: Pathways, top: int = 10) -> str:
    """The icicle chart of the `top` pathways as a base64 PNG (:mod:`medbench.plots`)."""
    from matplotlib import colormaps

    from medbench.plots import figure, png

    fig, axes = figure()
    fig.set_size_inches(3 + 2.5 * result.length, 5)
    rows = result.table.head(top)
    colours: dict[str, tuple] = {}
    palette = colormaps["tab20"]
    for depth in range(result.length):
        prefixes: dict[str, int] = {}
        for steps, n in zip(rows["steps"].to_list(), rows["n_patients"].to_list()):
            if len(steps) > depth:
                key = ARROW.join(steps[: depth + 1])
                prefixes[key] = prefixes.get(key, 0) + n
        bottom = 0.0
        for key, n in prefixes.items():
            code = key.split(ARROW)[-1]
            colour = colours.setdefault(code, palette(len(colours) % 20))
            height = n / result.n_patients
            axes.bar(depth, height, bottom=bottom, width=0.95, color=colour, edgecolor="white")
            if height > 0.03:
                axes.text(depth, bottom + height / 2, f"{code}\n{n}", ha="center", va="center", fontsize=7)
            bottom += height
    axes.set(xticks=range(result.length), xticklabels=[f"step {k + 1}" for k in range(result.length)], ylabel="share of patients", ylim=(0, 1))
    axes.set_title(f"Top pathways of {result.n_patients} patients (cells < {result.min_patients} suppressed)", fontsize=9)
    return png(fig)


def pathway_page(result: Pathways, title: str, top: int = 10) -> str:
    """A self-contained HTML page: the figure, the top pathways with their timing, and subgroup shares."""
    rows = []
    for pathway, n, share, days in result.table.head(top).select("pathway", "n_patients", "share", "median_days").iter_rows():
        timing = ARROW.join("–" if d is None else f"{d:.0f} d" for d in days if d is not None) or "–"
        rows.append(f"<tr><td>{html.escape(pathway)}</td><td>{n}</td><td>{share:.1%}</td><td>{html.escape(timing)}</td></tr>")
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
        f"<img alt='pathways' src='data:image/png;base64,{pathway_figure(result, top)}'>"
        "<h2>Most frequent pathways</h2><table><tr><th>pathway</th><th>patients</th><th>share</th>"
        f"<th>median time between steps</th></tr>{''.join(rows)}</table>{subgroup}</body></html>\n"
    )
