"""How counts and choices read in English messages: "622 queries", "ridge, linear or mlp_regressor"."""

from __future__ import annotations

from collections.abc import Sequence

# Nouns whose plural is not the noun + "s" (a count of them appears in a message).
IRREGULAR_PLURALS = {"query": "queries", "series": "series", "entry": "entries", "study": "studies"}


def plural(noun: str) -> str:
    return IRREGULAR_PLURALS.get(noun, f"{noun}s")


def counted(count: int, noun: str) -> str:
    """`count` with `noun` in the matching number: "1 query", "622 queries"."""
    return f"{count} {noun if count == 1 else plural(noun)}"


def or_list(options: Sequence[str]) -> str:
    """Choices as a reader writes them: "a", "a or b", "a, b or c"."""
    if len(options) <= 1:
        return "".join(options)
    return f"{', '.join(options[:-1])} or {options[-1]}"


def article(word: str) -> str:
    """The indefinite article before `word` ("an image", "a regression")."""
    return "an" if word[:1].lower() in "aeiou" else "a"
