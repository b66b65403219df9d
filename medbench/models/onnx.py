"""A network exported to ONNX by its authors, evaluated with onnxruntime on the task's test split."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.external import existing_file, keep_copy
from medbench.tasks.registry import classes_of

OUTPUTS = ("probabilities", "logits")


class OnnxModel:
    """Scores from an ONNX file: tabular rows (n, d) or images (n, C, H, W), float32.

    `output` says what the graph returns: `probabilities`, or `logits` turned into probabilities
    by the task kind (sigmoid for binary and multilabel, softmax for multiclass). A binary model
    may return one column (probability of class 1) or two (both classes). The file is never
    trained: `fit` only checks that the task's inputs fit the graph's input.
    """

    def __init__(
        self,
        path: str,
        task_kind: str,
        output: str = "probabilities",
        input_name: Optional[str] = None,
        output_name: Optional[str] = None,
        sha256: Optional[str] = None,
        batch_size: int = 256,
    ) -> None:
        import onnxruntime

        if output not in OUTPUTS:
            raise ConfigError(f"model.output: {output!r} is not one of {OUTPUTS}")
        if classes_of(task_kind) is None:
            raise ConfigError(f"model: an ONNX model scores classification tasks, not task kind {task_kind!r}")
        self.path = existing_file(path, "model.path", sha256)
        self.task_kind = task_kind
        self.output = output
        self.batch_size = batch_size
        try:
            self.session = onnxruntime.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
        except Exception as error:
            raise DataError(f"model.path: {self.path} is not a valid ONNX model: {error}") from None
        self.input = _chosen(self.session.get_inputs(), input_name, "model.input_name", self.path)
        self.output_name = _chosen(self.session.get_outputs(), output_name, "model.output_name", self.path).name

    def fit(self, train: Split, val: Split) -> None:
        expected = self.input.shape[1:]
        actual = np.asarray(train.inputs).shape[1:]
        fixed = [(e, a) for e, a in zip(expected, actual) if isinstance(e, int)]
        if len(expected) != len(actual) or any(e != a for e, a in fixed):
            raise DataError(
                f"model.path: {self.path.name} takes input {self.input.name!r} of shape {self.input.shape}, "
                f"the task's samples have shape {list(actual)}"
            )

    def predict_scores(self, split: Split) -> np.ndarray:
        inputs = np.asarray(split.inputs, dtype=np.float32)
        batches = [
            self.session.run([self.output_name], {self.input.name: inputs[start : start + self.batch_size]})[0]
            for start in range(0, len(inputs), self.batch_size)
        ]
        return scores_from_outputs(np.concatenate(batches).astype(np.float64), self.task_kind, self.output)

    def save(self, path: Path) -> Optional[Path]:
        return keep_copy(self.path, path)

    def parameter_count(self) -> Optional[int]:
        """Elements of the graph's initializers (its weights), when the `onnx` package is installed."""
        try:
            import onnx
        except ImportError:
            return None
        graph = onnx.load(str(self.path), load_external_data=False).graph
        return sum(int(np.prod(tensor.dims)) for tensor in graph.initializer) or None


def scores_from_outputs(values: np.ndarray, task_kind: str, output: str) -> np.ndarray:
    """The task kind's score layout from a model's raw outputs (see :mod:`medbench.models.base`)."""
    if values.ndim == 1:
        values = values[:, None]
    columns, classes = values.shape[1], classes_of(task_kind)
    if classes.single_score and columns == 1:
        return (_sigmoid(values) if output == "logits" else values)[:, 0]
    if classes.single_score and columns == 2:
        return (_softmax(values) if output == "logits" else values)[:, 1]
    if not classes.single_score and classes.exclusive and columns > 1:
        return _softmax(values) if output == "logits" else values
    if not classes.exclusive:
        return _sigmoid(values) if output == "logits" else values
    raise DataError(f"the ONNX model returned {columns} output column(s), which a {task_kind} task cannot use")


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-values))


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _chosen(nodes: list[Any], name: Optional[str], key: str, path: Path) -> Any:
    names = [node.name for node in nodes]
    if name is None:
        if len(nodes) != 1:
            raise ConfigError(f"{key}: {path.name} has several of them, {names}; name the one to use")
        return nodes[0]
    if name not in names:
        raise ConfigError(f"{key}: {path.name} has no {name!r}; it has {names}")
    return nodes[names.index(name)]
