"""Figures for reports: one matplotlib figure at a time, rendered off-screen to an inline PNG.

Task kinds draw their own plots (`TaskKind.plots`) with these two helpers; matplotlib is imported
only when a report is written.
"""

from __future__ import annotations

import base64
import io
from typing import Any


def figure() -> tuple[Any, Any]:
    """A square figure and its axes, on the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=(4.5, 4.5), dpi=100)


def png(fig: Any) -> str:
    """`fig` as a base64 PNG (what the HTML report inlines); the figure is closed."""
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
