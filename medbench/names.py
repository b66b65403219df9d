"""The one validator for outside strings that become file or folder names.

Task names, board names, run ids, entry ids and the file names a bundle lists all end up as path
components. A name from outside (a bundle, a record, an entry, a request) could be `../..` or an
absolute path and write or read anywhere; so every such string passes :func:`checked_name`
first, and a path read from a bundle passes :func:`inside` before it is opened.
"""

from __future__ import annotations

import re
from pathlib import Path

from medbench.errors import MedbenchError

# One path component: letters, digits, `_`, `.`, `-`, starting with a letter or digit, at most
# 128 characters; `..` anywhere is refused too, so no name reads as a parent folder.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class UnsafeName(MedbenchError):
    """A string that would become a path is not a plain name; nothing was written or read."""


def checked_name(value: object, what: str) -> str:
    """`value` if it is a plain name (see `NAME`), else :class:`UnsafeName` naming `what` it was."""
    if not isinstance(value, str) or not NAME.match(value) or ".." in value:
        raise UnsafeName(
            f"{what} {value!r} is not a plain name (letters, digits, '_', '.', '-', starting with a letter "
            "or digit, no '..', at most 128 characters); refused before it became a path"
        )
    return value


def inside(folder: Path, relative: str, what: str) -> Path:
    """`folder / relative`, refused unless it resolves (links followed) to a file name inside `folder`."""
    base = folder.resolve()
    target = (base / relative).resolve()
    if target == base or not target.is_relative_to(base):
        raise UnsafeName(f"{what} {relative!r} points outside {folder}; refused without reading it")
    return target
