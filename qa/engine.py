"""The loaded system: index + embedder + retriever + answerer, as the CLI and the UI use it.

It reloads by itself when `qa index` (in another process) swaps in a new
generation, so a running server picks up a rebuilt index without a restart."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict

from qa.answer import Answer, Answerer
from qa.embedders import Embedder, load_embedder
from qa.index import IndexError_, LoadedIndex, current_generation, read_manifest
from qa.retrieve import Hit, search
from qa.settings import MODES, Settings
from qa.text import normalize

log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why (in Vietnamese, for the user)."""


def clean_question(question: str, max_chars: int) -> str:
    question = normalize(question or "").strip()
    if not question:
        raise QuestionError("Câu hỏi trống: hãy nhập một câu hỏi.")
    if len(question) > max_chars:
        raise QuestionError(f"Câu hỏi quá dài ({len(question)} ký tự, tối đa {max_chars}).")
    return question


def check_date(value: str | None, name: str) -> str | None:
    import datetime

    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise QuestionError(f"{name}: ngày không hợp lệ {value!r}, cần dạng YYYY-MM-DD.") from None


class Engine:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._index: LoadedIndex | None = None
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()
        self._vectors: dict[str, object] = {}
        self._vectors_lock = threading.Lock()
        self._segments: dict = {}  # open segments, reused by the next commit (they are immutable)
        self._bad_generation: str | None = None
        self.problem: str | None = None  # a Vietnamese notice while a newer index cannot be used

    @property
    def index(self) -> LoadedIndex:
        """The current commit, reloaded when a build has swapped in a new one.

        A new commit that cannot be loaded is logged once and the last good one keeps serving;
        a file of the served commit damaged on disk stops questions with a clear error instead of
        taking the process down (`search` checks file sizes before each question touches them)."""
        with self._lock:
            current = current_generation(self.settings.index_dir)
            if self._index is not None and current is not None and current.name in (self._index.generation, self._bad_generation):
                return self._index
            try:
                if self._embedder is None:  # the embedder the index was built with
                    self._embedder = load_embedder(read_manifest(self.settings.index_dir)["embedder"]["model"])
                index = LoadedIndex.load(self.settings.index_dir, embedder_id=self._embedder.model_id, settings=self.settings,
                                         opened=self._segments)
            except IndexError_ as exc:
                if self._index is None or current is None:
                    raise
                if current.name != self._bad_generation:
                    log.error("index %s cannot be loaded, still serving %s: %s", current.name, self._index.generation, exc)
                    self._bad_generation = current.name
                    self.problem = (f"Chỉ mục mới ({current.name}) bị lỗi nên chưa dùng được; hệ thống vẫn trả lời bằng chỉ mục "
                                    f"{self._index.generation}. Hãy chạy `qa index` để sửa.")
                return self._index
            live = {e["name"] for e in index.manifest["segments"]}
            self._segments = {name: seg for name, seg in self._segments.items() if name in live}
            self._index, self._answerer = index, Answerer(index)
            self._bad_generation, self.problem = None, None
            return index

    @property
    def embedder(self) -> Embedder:
        self.index  # noqa: B018 - loads the embedder the index was built with
        return self._embedder

    def search(self, question: str, k: int | None = None, mode: str | None = None,
               since: str | None = None, until: str | None = None) -> list[Hit]:
        question = clean_question(question, self.settings.max_question_chars)
        if mode is not None and mode not in MODES:
            raise QuestionError(f"Chế độ tìm kiếm không hợp lệ {mode!r}: dùng {', '.join(MODES)}.")
        since, until = check_date(since, "since"), check_date(until, "until")
        if since and until and since > until:
            raise QuestionError(f"Khoảng ngày không hợp lệ: từ ngày {since} sau đến ngày {until}.")
        index = self.index
        index.verify()  # once a question: files of the served commit still have their recorded sizes
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
            "sentences": m["sentence_count"],
            "segments": len(m["segments"]),
            "problem": self.problem,
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
