"""Small encoders and tokenizers for the dense-retrieval tests (built here, nothing downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np


class WordTokenizer:
    """Whitespace words → ids of a fixed vocabulary (0 pads, 1 is unknown)."""

    def __init__(self, vocabulary: list[str]) -> None:
        self.ids = {word: index + 2 for index, word in enumerate(vocabulary)}

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        rows = [[self.ids.get(word, 1) for word in text.lower().split()] or [1] for text in texts]
        width = max(len(row) for row in rows)
        input_ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(input_ids)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": mask}

    def identity(self) -> str:
        return f"words:{sorted(self.ids.items())}"


def write_embedding_model(path: Path, table: np.ndarray) -> Path:
    """An ONNX model: token states = table[input_ids] × attention_mask (batch × tokens × dim)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["states"]),
            helper.make_node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
            helper.make_node("Unsqueeze", ["mask_float", "last_axis"], ["mask_3d"]),
            helper.make_node("Mul", ["states", "mask_3d"], ["last_hidden_state"]),
        ],
        "embedding",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", table.shape[1]])],
        initializer=[
            numpy_helper.from_array(table.astype(np.float32), "table"),
            numpy_helper.from_array(np.array([2], dtype=np.int64), "last_axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


class CountingEncoder:
    """Bag of hashed words; counts the texts it encodes, so tests see when the cache answers."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.encoded = 0

    def fit(self, documents: list[str]) -> None:
        pass

    def encode(self, texts: list[str]) -> np.ndarray:
        import zlib

        self.encoded += len(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1
        return vectors

    def identity(self) -> str:
        return f"counting:{self.dim}"

    def save(self, path: Path) -> Optional[Path]:
        return None

    def parameter_count(self) -> Optional[int]:
        return None
