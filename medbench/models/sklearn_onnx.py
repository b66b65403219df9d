"""scikit-learn models as ONNX: the only form in which a fitted estimator leaves its run.

A pickle runs code when it is loaded, so no record or bundle holds one. A fitted classifier is
converted with skl2onnx and kept only if onnxruntime gives it the same probabilities on rows it
was fitted on; a model that does not convert faithfully (a text tokenizer ONNX cannot mimic, a
survival model) is not written at all, and whoever needs it retrains it from the config.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

import numpy as np

log = logging.getLogger(__name__)

# Largest difference in any probability between scikit-learn and onnxruntime on the check rows.
FAITHFUL = 1e-4
CHECK_ROWS = 64


def write_onnx(estimator: Any, sample: Any, target: Path) -> Optional[Path]:
    """`estimator` as `target` (.onnx) if it converts and agrees on `sample`; else None, logged."""
    try:
        model = _convert(estimator, sample)
        difference = _difference(estimator, model.SerializeToString(), sample)
    except Exception as error:  # skl2onnx raises many types for estimators it does not know
        log.warning("model not kept: %s does not convert to ONNX (%s); it is retrained from its config", _name(estimator), error)
        return None
    if not difference <= FAITHFUL:
        log.warning(
            "model not kept: its ONNX form differs from %s by %.3g on training rows; it is retrained from its config",
            _name(estimator),
            difference,
        )
        return None
    target.write_bytes(model.SerializeToString())
    return target


def _convert(estimator: Any, sample: Any) -> Any:
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType

    options: dict[int, dict[str, Any]] = {id(_final(estimator)): {"zipmap": False}}
    if _is_text(sample):
        for step in getattr(estimator, "named_steps", {}).values():
            if hasattr(step, "vocabulary_"):
                # The C locale exists everywhere; onnxruntime refuses to start without the one it names.
                options[id(step)] = {"locale": "C.UTF-8", "separators": [" "]}
        return to_onnx(estimator, initial_types=[("input", StringTensorType([None, 1]))], options=options)
    return to_onnx(estimator, np.asarray(sample[:1], dtype=np.float32), options=options)


def _difference(estimator: Any, model_bytes: bytes, sample: Any) -> float:
    import onnxruntime

    session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    inputs = np.asarray(sample, dtype=object).reshape(-1, 1) if _is_text(sample) else np.asarray(sample, dtype=np.float32)
    outputs = session.run(None, {session.get_inputs()[0].name: inputs})
    probabilities = np.asarray(outputs[-1], dtype=np.float64)
    expected = estimator.predict_proba(list(sample) if _is_text(sample) else np.asarray(sample))
    return float(np.max(np.abs(probabilities - expected))) if probabilities.shape == expected.shape else float("inf")


def check_sample(inputs: Any) -> Any:
    """The first rows of the training inputs, kept to check the conversion against."""
    return list(inputs[:CHECK_ROWS]) if _is_text(inputs) else np.asarray(inputs)[:CHECK_ROWS]


def _is_text(inputs: Any) -> bool:
    return len(inputs) > 0 and isinstance(inputs[0], str)


def _final(estimator: Any) -> Any:
    return getattr(estimator, "_final_estimator", estimator)


def _name(estimator: Any) -> str:
    return type(estimator).__name__
