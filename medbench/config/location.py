"""Where `conf/` lives: the one answer every part that composes or checks configs asks.

Kept in its own module so that the safety check, the recorded config and reproduction can find
`conf/` without importing the Hydra shell (:mod:`medbench.app`).
"""

from __future__ import annotations

from pathlib import Path

from medbench.errors import MedbenchError


def config_dir() -> Path:
    """`conf/` of a source checkout, or the copy packed inside an installed wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "conf", package.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise MedbenchError(f"medbench's config folder was not found next to {package}; reinstall medbench")
