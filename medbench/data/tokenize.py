"""Word tokens for text models trained from scratch, the same for French and English.

Tokens are Unicode word characters (`\\w+`, so `échographie` and `œdème` stay whole) after NFC
normalisation and case folding. Ids come from a stable hash (CRC32) into a fixed number of
buckets: no vocabulary to fit, so nothing can leak from the validation or test texts, and unseen
words at test time still land somewhere the model has seen during training.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

WORD = re.compile(r"\w+")
PADDING_ID = 0


def words(text: str) -> list[str]:
    """Case-folded word tokens of `text`, with composed accents (NFC)."""
    return WORD.findall(unicodedata.normalize("NFC", text).casefold())


def hashed_ids(text: str, n_buckets: int, max_length: int) -> list[int]:
    """Up to `max_length` token ids in [1, n_buckets); 0 is kept for padding."""
    return [1 + zlib.crc32(word.encode("utf-8")) % (n_buckets - 1) for word in words(text)[:max_length]]
