"""Loading weights without unpickling arbitrary objects.

A checkpoint from a bundle or a partner is a file from outside: `torch.load` with
`weights_only=True` accepts tensors and plain containers only, so a crafted pickle cannot run
code. Its SHA-256 is checked against the one its record or bundle declares before it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from medbench.errors import RecordError
from medbench.io import sha256_file


def load_state_dict(path: Path, expected_sha256: Optional[str] = None) -> dict[str, Any]:
    """The state dict stored at `path`, refusing anything but tensors and a mismatching hash."""
    import pickle

    import torch

    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise RecordError(f"{path}: SHA-256 {actual} differs from the declared {expected_sha256}; the file was altered")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise RecordError(f"{path}: not a weights-only checkpoint (refused to unpickle objects): {error}") from None
    if not isinstance(state, dict):
        raise RecordError(f"{path}: expected a state dict, found a {type(state).__name__}")
    return state
