"""Tokenizers of pretrained encoders, read from a local folder (never downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from medbench.errors import ConfigError
from medbench.models.retrieval.encoder import files_identity

# Files that define a Hugging Face tokenizer, whichever of them the folder has.
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "sentencepiece.bpe.model",
    "spiece.model",
)


@runtime_checkable
class TextTokenizer(Protocol):
    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        """`input_ids` and `attention_mask` (int64, texts × tokens), and `token_type_ids` when the model uses them."""

    def identity(self) -> str:
        """Changes whenever the token ids could change (vocabulary, settings)."""


class HuggingFaceTokenizer:
    """The tokenizer saved beside a model: `tokenizers` reads `tokenizer.json`; `transformers` is the fallback."""

    def __init__(self, folder: str | Path, max_length: int = 256) -> None:
        self.folder = Path(folder)
        self.max_length = max_length
        if not self.folder.is_dir():
            raise ConfigError(f"tokenizer folder {self.folder} does not exist")
        self._encode = self._load()

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        return self._encode(texts)

    def identity(self) -> str:
        return f"hf-tokenizer:{files_identity(self.folder, [self.folder / name for name in TOKENIZER_FILES])}:max{self.max_length}"

    def _load(self):
        try:
            from tokenizers import Tokenizer
        except ImportError:
            return self._load_transformers()
        path = self.folder / "tokenizer.json"
        if not path.is_file():
            raise ConfigError(f"{path}: no tokenizer.json beside the model (save it with `tokenizer.save_pretrained`)")
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.enable_truncation(self.max_length)
        tokenizer.enable_padding()

        def encode(texts: list[str]) -> dict[str, np.ndarray]:
            batch = tokenizer.encode_batch(texts)
            return {
                "input_ids": np.array([item.ids for item in batch], dtype=np.int64),
                "attention_mask": np.array([item.attention_mask for item in batch], dtype=np.int64),
                "token_type_ids": np.array([item.type_ids for item in batch], dtype=np.int64),
            }

        return encode

    def _load_transformers(self):
        try:
            from transformers import AutoTokenizer
        except ImportError:
            raise ConfigError(
                f"reading the tokenizer in {self.folder} needs the `tokenizers` or `transformers` package: "
                "pip install tokenizers"
            ) from None
        tokenizer = AutoTokenizer.from_pretrained(str(self.folder), local_files_only=True)

        def encode(texts: list[str]) -> dict[str, np.ndarray]:
            batch = tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
            return {name: np.asarray(value, dtype=np.int64) for name, value in batch.items()}

        return encode
