"""The loaded system: index + embedder + retriever + answerer, as the CLI and the UI use it.

It reloads by itself when `qa index` (in another process) swaps in a new
generation, so a running server picks up a rebuilt index without a restart."""

from __future__ import annotations

import threading
from dataclasses import asdict

from qa.answer import Answer, Answerer
from qa.embedders import Embedder, load_embedder
from qa.index import LoadedIndex, current_generation, read_manifest
from qa.retrieve import Hit, search
from qa.settings import MODES, Settings
from qa.text import normalize


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why (in Vietnamese, for the user)."""


def clean_question(question: str, max_chars: int) -> str:
    question = normalize(question or "").strip()
    if not question:
        raise QuestionError("Câu hỏi trống: hãy nhập một câu hỏi.")
    if len(question) > max_chars:
        raise QuestionError(f"Câu hỏi quá dài ({len(question)} ký tự, tối đa {max_chars}).")
    return question


def shown(value, limit: int = 40) -> str:
    """What the user typed, quoted in a one-line message: whitespace collapsed, cut when long."""
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit] + "…"


def check_date(value: str | None, name: str) -> str | None:
    import datetime

    if not value or not str(value).strip():
        return None
    try:
        return datetime.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise QuestionError(f"{name}: ngày không hợp lệ «{shown(value)}», cần dạng YYYY-MM-DD (ví dụ 2024-01-31).") from None


def check_range(since: str | None, until: str | None) -> None:
    """Both already checked by check_date (ISO dates compare as strings)."""
    if since and until and since > until:
        raise QuestionError(f"Khoảng ngày không hợp lệ: «Từ ngày» {since} muộn hơn «Đến ngày» {until}.")


def check_k(k, max_k: int) -> int | None:
    """The number of sources asked for, 1..max_k (None: the default)."""
    if k is None:
        return None
    try:
        value = int(k)
        if value != k and not (isinstance(k, str) and k.strip().lstrip("+-").isdigit()):
            raise ValueError
    except (TypeError, ValueError, OverflowError):  # None of these is a count: "x", 2.5, nan, inf
        raise QuestionError(f"Số nguồn phải là số nguyên từ 1 đến {max_k}, không phải «{shown(k)}».") from None
    if not 1 <= value <= max_k:
        raise QuestionError(f"Số nguồn phải từ 1 đến {max_k}, không phải {value}.")
    return value


def check_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in MODES:
        raise QuestionError(f"Chế độ tìm kiếm không hợp lệ «{shown(mode)}»: dùng {', '.join(MODES)}.")
    return mode


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._index: LoadedIndex | None = None
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()
        self._vectors: dict[str, object] = {}
        self._vectors_lock = threading.Lock()

    @property
    def index(self) -> LoadedIndex:
        """The current generation, reloaded when a build has swapped in a new one."""
        with self._lock:
            current = current_generation(self.settings.index_dir)
            if self._index is None or current is None or current.name != self._index.generation:
                if self._embedder is None:  # the embedder the index was built with
                    self._embedder = load_embedder(read_manifest(self.settings.index_dir)["embedder"]["model"])
                self._index = LoadedIndex.load(self.settings.index_dir, embedder_id=self._embedder.model_id, settings=self.settings)
                self._answerer = Answerer(self._index)
            return self._index

    @property
    def embedder(self) -> Embedder:
        self.index  # noqa: B018 - loads the embedder the index was built with
        return self._embedder

    def search(self, question: str, k: int | None = None, mode: str | None = None,
               since: str | None = None, until: str | None = None) -> list[Hit]:
        question = clean_question(question, self.settings.max_question_chars)
        mode = check_mode(mode or None)
        k = check_k(k, self.settings.max_k)
        since, until = check_date(since, "Từ ngày"), check_date(until, "Đến ngày")
        check_range(since, until)
        index = self.index
        vector = self.query_vector(question) if (mode or self.settings.mode) != "bm25" else None
        return search(index, self._embedder, question, self.settings, k=k, mode=mode,
                      since=since, until=until, query_vector=vector)

    def query_vector(self, question: str):
        """The question's vector; the last few are kept, since search and answer both need it."""
        question = normalize(question).strip()
        embedder = self.embedder
        with self._vectors_lock:  # the chat server calls this from several threads
            vector = self._vectors.get(question)
        if vector is None:
            vector = embedder.embed_query(question)
            with self._vectors_lock:
                if len(self._vectors) >= 64:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[question] = vector
        return vector

    def ask(self, question: str, k: int | None = None, mode: str | None = None,
            since: str | None = None, until: str | None = None) -> Answer:
        hits = self.search(question, k=k, mode=mode, since=since, until=until)
        return self.answer(question, hits)

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """The answer out of `hits` (already retrieved for `question`)."""
        self.index  # noqa: B018 - the answerer belongs to the loaded generation
        return self._answerer.answer(normalize(question).strip(), hits, self.query_vector(question))

    def status(self) -> dict:
        m = self.index.manifest
        return {
            "index": str(self.index.path),
            "articles": m["article_count"],
            "passages": m["passage_count"],
            "embedder": m["embedder"]["id"],
            "dim": m["embedder"]["dim"],
            "chunking": m["chunking"],
            "built_at": m["built_at"],
            "corpus_dirs": m["corpus_dirs"],
        }


def answer_to_dict(answer: Answer) -> dict:
    """The `qa ask --json` object (also the UI's /ask endpoint)."""
    sources = []
    for c in answer.citations:
        p, a = c.hit.passage, c.hit.article
        sources.append({
            "pid": p.pid, "doc_id": p.doc_id, "title": a.title, "url": a.url, "date": a.date,
            "text": p.text, "start": p.start, "end": p.end,
            "sentence_start": c.sentence_start, "sentence_end": c.sentence_end, "score": round(c.hit.score, 6),
        })
    return {"answer": answer.text, "abstained": answer.abstained, "sources": sources}


def marked_snippet(passage_text: str, start: int, sentence_start: int, sentence_end: int, left: str = "«", right: str = "»") -> str:
    """The passage with its supporting sentence (clipped to the passage) between markers."""
    a = max(sentence_start - start, 0)
    b = min(sentence_end - start, len(passage_text))
    if b <= a:
        return passage_text
    return passage_text[:a] + left + passage_text[a:b] + right + passage_text[b:]


def render_text(answer: Answer) -> str:
    """Human output: the answer with its [n] markers, then the numbered sources."""
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Nguồn:"]
    for n, c in enumerate(answer.citations, 1):
        a, p = c.hit.article, c.hit.passage
        meta = " · ".join(x for x in (a.date, a.url) if x)
        lines.append(f"[{n}] {a.title} ({p.doc_id}){' — ' + meta if meta else ''} · điểm {c.hit.score:.4f}")
        lines.append("    " + marked_snippet(p.text, p.start, c.sentence_start, c.sentence_end).replace("\n", " "))
    return "\n".join(lines)


def hit_to_dict(hit: Hit) -> dict:
    return {"passage": asdict(hit.passage), "score": hit.score, "dense_rank": hit.dense_rank, "dense_score": hit.dense_score,
            "bm25_rank": hit.bm25_rank, "bm25_score": hit.bm25_score, "fused_rank": hit.fused_rank}
