"""The loaded system: index + embedder + retriever + answerer, as the CLI and the UI use it.

It reloads by itself when `qa index` (in another process) swaps in a new
generation, so a running server picks up a rebuilt index without a restart."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict, replace

from qa.answer.answerer import Answer, Answerer
from qa.embed.embedders import Embedder, load_embedder
from qa.errors import IndexProblem, QuestionError
from qa.index import LoadedIndex, current_generation, read_manifest
from qa.language.accents import AccentModel
from qa.language.text import has_diacritics, normalize
from qa.search.retrieve import Hit, search
from qa.settings import MODES, Settings

log = logging.getLogger(__name__)


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
        self._segments: dict = {}  # open segments, reused by the next commit (they are immutable)
        self._bad_generation: str | None = None
        self.problem: str | None = None  # a Vietnamese notice while a newer index cannot be used
        self._accents: tuple[str, AccentModel] | None = None  # (index generation, model)
        self._accents_lock = threading.Lock()

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
            except IndexProblem as exc:
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
        mode = check_mode(mode or None)
        k = check_k(k, self.settings.max_k)
        since, until = check_date(since, "Từ ngày"), check_date(until, "Đến ngày")
        check_range(since, until)
        index = self.index
        index.verify()  # once a question: files of the served commit still have their recorded sizes
        understood = self.understood_as(question)
        vector = self.query_vector(understood) if (mode or self.settings.mode) != "bm25" else None
        # Dense channels get the question with its diacritics restored; BM25 gets it as typed, so that a
        # question without accents is still matched by its folded twin when a restored syllable is wrong.
        return search(index, self._embedder, question, self.settings, k=k, mode=mode,
                      since=since, until=until, query_vector=vector)

    def accent_model(self) -> AccentModel:
        """The diacritics model of the loaded index: the index's own when it has one, else built from its
        articles on first use; one per index generation."""
        index = self.index
        with self._accents_lock:
            if self._accents is None or self._accents[0] != index.generation:
                own = getattr(index, "accent_model", None)
                model = own() if callable(own) else AccentModel.from_texts(
                    f"{article.title}\n{article.text}" for article in map(index.article, index.doc_ids()))
                self._accents = (index.generation, model)
            return self._accents[1]

    def understood_as(self, question: str) -> str:
        """The question with diacritics restored when it was typed without any; else as it is."""
        question = normalize(question).strip()
        if has_diacritics(question) or not any(ch.isalpha() for ch in question):
            return question
        return self.accent_model().restore(question)

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
        question = normalize(question).strip()
        understood = self.understood_as(question)
        answer = self._answerer.answer(understood, hits, self.query_vector(understood))
        return replace(answer, understood_as=understood) if understood != question else answer

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
    cited = cited_numbers(answer)
    for n, c in enumerate(answer.citations, 1):
        p, a = c.hit.passage, c.hit.article
        sources.append({
            "pid": p.pid, "doc_id": p.doc_id, "title": a.title, "url": a.url, "date": a.date,
            "text": p.text, "start": p.start, "end": p.end,
            "sentence_start": c.sentence_start, "sentence_end": c.sentence_end, "score": round(c.hit.score, 6),
            "cited": n in cited,
        })
    return {"answer": answer.text, "abstained": answer.abstained, "partial": answer.partial,
            "short_answer": answer.short_answer, "short_source": answer.short_source,
            "short_start": answer.short_start, "short_end": answer.short_end,
            "understood_as": answer.understood_as, "confidence": answer.confidence, "confident": answer.confident,
            "sources": sources}


def cited_numbers(answer: Answer) -> set[int]:
    """The n of every [n] the answer text cites."""
    return {int(n) for n in re.findall(r"\[(\d+)\]", answer.text) if 0 < int(n) <= len(answer.citations)}


def marked_snippet(passage_text: str, start: int, sentence_start: int, sentence_end: int, left: str = "«", right: str = "»") -> str:
    """The passage with its supporting sentence (clipped to the passage) between markers."""
    a = max(sentence_start - start, 0)
    b = min(sentence_end - start, len(passage_text))
    if b <= a:
        return passage_text
    return passage_text[:a] + left + passage_text[a:b] + right + passage_text[b:]


def render_text(answer: Answer) -> str:
    """Human output: the answer with its [n] markers, then the sources it cites (supporting sentence
    between « »), then the other sources retrieved ("Nguồn khác", unmarked). Ranks, never raw scores."""
    lines = [f"Hiểu câu hỏi là: {answer.understood_as}", ""] if answer.understood_as else []
    lines.append(answer.text)
    cited = cited_numbers(answer)
    for title, numbers in (("Nguồn:", sorted(cited)), ("Nguồn khác:", [n for n in range(1, len(answer.citations) + 1) if n not in cited])):
        if not numbers:
            continue
        lines += ["", title]
        for n in numbers:
            c = answer.citations[n - 1]
            a, p = c.hit.article, c.hit.passage
            meta = " · ".join(x for x in (a.date, a.url) if x)
            lines.append(f"[{n}] {a.title} ({p.doc_id}){' — ' + meta if meta else ''}")
            snippet = marked_snippet(p.text, p.start, c.sentence_start, c.sentence_end) if n in cited else p.text
            lines.append("    " + snippet.replace("\n", " "))
    return "\n".join(lines)


def hit_to_dict(hit: Hit) -> dict:
    return {"passage": asdict(hit.passage), "score": hit.score, "dense_rank": hit.dense_rank, "dense_score": hit.dense_score,
            "bm25_rank": hit.bm25_rank, "bm25_score": hit.bm25_score, "fused_rank": hit.fused_rank}
