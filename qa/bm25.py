"""Lexical channel: BM25 (bm25s) over Vietnamese syllables and syllable bigrams.

Two indexes: accented tokens, used for normal queries, and diacritic-folded
tokens, used only when a query is typed without diacritics (folding accented
queries would merge distinct words such as `hội`/`hỏi`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa.text import has_diacritics, search_tokens

# Question words carry no evidence about which passage answers.
QUERY_STOPWORDS = frozenset(
    """ai gì nào đâu sao bao nhiêu mấy khi thế là có không của và được đã những các về điều cho biết hãy
    bao_nhiêu khi_nào thế_nào như_thế ra_sao là_gì điều_gì những_gì cái_gì nội_dung cho_biết
    gi nao dau khong cua va duoc da nhung cac ve dieu biet hay
    bao_nhieu khi_nao the_nao nhu_the ra_sao la_gi dieu_gi nhung_gi cai_gi noi_dung cho_biet""".split()
)


class BM25Channel:
    def __init__(self, accented=None, folded=None) -> None:
        self.accented = accented
        self.folded = folded

    @classmethod
    def build(cls, texts: list[str]) -> BM25Channel:
        return cls(_bm25([search_tokens(t) for t in texts]), _bm25([search_tokens(t, folded=True) for t in texts]))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for `query` (zeros when nothing matches)."""
        folded = not has_diacritics(query)
        retriever = self.folded if folded else self.accented
        vocab = retriever.vocab_dict
        tokens = [t for t in search_tokens(query, folded=folded) if t in vocab and t not in QUERY_STOPWORDS]
        if not tokens:
            return np.zeros(retriever.scores["num_docs"], dtype=np.float32)
        return np.asarray(retriever.get_scores(tokens), dtype=np.float32)

    def idf(self, tokens: list[str], folded: bool) -> dict[str, float]:
        """Inverse document frequency (over passages) of each token; unseen tokens get the highest."""
        retriever = self.folded if folded else self.accented
        n = retriever.scores["num_docs"]
        indptr = retriever.scores["indptr"]
        vocab = retriever.vocab_dict
        out = {}
        for token in tokens:
            t = vocab.get(token)
            df = int(indptr[t + 1] - indptr[t]) if t is not None else 0
            out[token] = float(np.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def save(self, folder: Path) -> None:
        import bm25s

        for name in ("accented", "folded"):
            getattr(self, name).save(str(folder / name), show_progress=False)
        (folder / "bm25.json").write_text(json.dumps({"bm25s_version": bm25s.__version__, "tokens": "syllables+bigrams"}))

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> BM25Channel:
        import bm25s

        def one(name):
            return bm25s.BM25.load(str(folder / name), mmap=mmap, show_progress=False, verbosity=0)

        return cls(one("accented"), one("folded"))


def _bm25(corpus_tokens: list[list[str]]):
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)

    retriever = bm25s.BM25()
    # bm25s refuses an empty document list; a placeholder token keeps empty passages indexable.
    retriever.index([tokens or ["\x00"] for tokens in corpus_tokens], show_progress=False)
    return retriever
