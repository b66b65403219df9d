"""The samples of one split, as every model and every output builder sees them (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Split:
    """Samples of one split. `inputs` is whatever the modality's models take (an array, texts)."""

    ids: np.ndarray
    inputs: Any
    targets: np.ndarray
    metadata: Optional[pd.DataFrame] = None

    def __len__(self) -> int:
        return len(self.ids)
