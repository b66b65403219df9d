"""64-bit keys of Arrow strings computed with numpy from the string buffers, without hashing tables.

Document ids are short strings; comparing their keys instead of the strings lets a run's rows be
matched to the judged documents of their query by plain integer comparison. Ids of up to 7 bytes
get an exact key (their bytes and their length); longer ids a 64-bit hash of their 8-byte words,
so equal keys must then be confirmed on the strings (:func:`keys_are_exact` says which).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from medbench.errors import DataError

_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
EXACT_BYTES = 7


def layout(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, data bytes) of a string array, without copying when it is one large_string chunk."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.null_count:
        raise DataError(f"{array.null_count} document or query ids are missing (null)")
    width = np.int64 if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type) else np.int32
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=width)[array.offset : array.offset + len(array) + 1].astype(np.int64, copy=False)
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets, data


def max_length(offsets: np.ndarray) -> int:
    return int(np.diff(offsets).max(initial=0))


def keys_are_exact(longest: int) -> bool:
    return longest <= EXACT_BYTES


def string_keys(strings: tuple[np.ndarray, np.ndarray], longest: int) -> np.ndarray:
    """A uint64 key per string of `strings` (a :func:`layout`); `longest` (the longest id among
    everything compared) fixes the scheme."""
    offsets, data = strings
    starts, lengths = offsets[:-1], np.diff(offsets)
    n_words = max(1, -(-longest // 8))
    padded = np.zeros(len(data) + 8 * n_words + 8, dtype=np.uint8)
    padded[: len(data)] = data
    # Every byte position seen as the start of a little-endian 8-byte word (an unaligned view).
    words = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    if keys_are_exact(longest):
        return (words[starts] & _LOW_BYTES[lengths]) | (lengths.astype(np.uint64) << np.uint64(56))
    key = lengths.astype(np.uint64) * _MULTIPLIER
    for word in range(n_words):
        remaining = np.clip(lengths - 8 * word, 0, 8)
        key ^= words[starts + 8 * word] & _LOW_BYTES[remaining]
        key *= _MULTIPLIER
        key ^= key >> np.uint64(29)
    return key
