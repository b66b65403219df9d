"""A partner's text encoder exported to ONNX, run with onnxruntime from a local file.

The model takes `input_ids` and `attention_mask` (and `token_type_ids` if it declares them) and
returns either token states (batch × tokens × dim), pooled here by the attention-masked mean or
the first token, or sentence embeddings (batch × dim), used as they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from medbench.errors import ConfigError, DataError
from medbench.models.retrieval.encoder import files_identity
from medbench.models.retrieval.packaged import local_or_packaged
from medbench.models.retrieval.tokenizer import HuggingFaceTokenizer, TextTokenizer

POOLINGS = ("mean", "cls")
TOKENIZER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEncoder:
    def __init__(
        self,
        model_path: Optional[str] = None,
        packaged: Optional[str] = None,
        cache_dir: Optional[str] = None,
        tokenizer: Optional[TextTokenizer] = None,
        max_length: int = 256,
        pooling: str = "mean",
        batch_size: int = 32,
        output_name: Optional[str] = None,
    ) -> None:
        import onnxruntime

        self.model_path = local_or_packaged(model_path, packaged, cache_dir)
        if packaged is not None:
            from medbench.models.retrieval.onnx_export import exported_onnx

            self.model_path = exported_onnx(self.model_path)
        if not self.model_path.is_file():
            raise ConfigError(f"model.encoder.model_path: {self.model_path} is not a file")
        if pooling not in POOLINGS:
            raise ConfigError(f"model.encoder.pooling: {pooling!r} is not one of {POOLINGS}")
        # Without a tokenizer object, the Hugging Face tokenizer saved beside the model file.
        self.tokenizer = tokenizer if tokenizer is not None else HuggingFaceTokenizer(self.model_path.parent, max_length)
        self.pooling = pooling
        self.batch_size = batch_size
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own untyped errors for unreadable models
            raise ConfigError(f"model.encoder.model_path: onnxruntime cannot load {self.model_path}: {error}") from None
        self.input_names = [node.name for node in self.session.get_inputs()]
        unknown = [name for name in self.input_names if name not in TOKENIZER_INPUTS]
        if unknown:
            raise ConfigError(f"{self.model_path}: inputs {unknown} are not tokenizer outputs {TOKENIZER_INPUTS}")
        outputs = [node.name for node in self.session.get_outputs()]
        if output_name is not None and output_name not in outputs:
            raise ConfigError(f"model.encoder.output_name: {output_name!r} is not an output of {self.model_path}: {outputs}")
        self.output_name = output_name or outputs[0]

    def fit(self, documents: list[str]) -> None:
        """Pretrained: nothing to learn from the corpus."""

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.concatenate(
            [self._encode_batch(texts[start : start + self.batch_size]) for start in range(0, len(texts), self.batch_size)]
        )

    def identity(self) -> str:
        return f"onnx:{files_identity(self.model_path.parent, self._weight_files())}:{self.tokenizer.identity()}:{self.pooling}:{self.output_name}"

    def save(self, path: Path) -> Optional[Path]:
        return None  # the weights are the partner's file, identified by its hash

    def parameter_count(self) -> Optional[int]:
        return None

    def _weight_files(self) -> list[Path]:
        # The model file and its external-data files (`model.onnx_data`, `model.onnx.data`...).
        return sorted(self.model_path.parent.glob(f"{self.model_path.name}*"))

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts)
        mask = tokens["attention_mask"]
        feed = {name: tokens.get(name, np.zeros_like(mask)) for name in self.input_names}
        (output,) = self.session.run([self.output_name], feed)
        if output.ndim == 2:
            return output
        if output.ndim != 3:
            raise DataError(f"{self.model_path}: output {self.output_name!r} has shape {output.shape}; expected 2 or 3 dimensions")
        if self.pooling == "cls":
            return output[:, 0]
        weights = mask[:, :, None].astype(output.dtype)
        return (output * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1)
