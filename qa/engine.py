"""The loaded system: index + embedder + retriever + answerer, as the CLI and the UI use it.

It reloads by itself when `qa index` (in another process) swaps in a new
generation, so a running server picks up a rebuilt index without a restart."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace

from qa.answer.answerer import Answerer
from qa.answer.extractor import TypedExtractor
from qa.answer.result import Answer
from qa.answer.rewrite import Turn, rewrite, turn_of
from qa.answer.spans import CombinedReader
from qa.embed.embedders import Embedder
from qa.errors import IndexProblem
from qa.index import LoadedIndex, current_generation, indexed_embedder
from qa.language.accents import AccentModel
from qa.language.text import normalize
from qa.neural.reader import NeuralReader
from qa.search.question import Question, make_question
from qa.search.retrieve import Hit, search
from qa.settings import Settings

log = logging.getLogger(__name__)


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
        self._span_reader = None
        self._lock_reader = threading.Lock()

    def refresh(self) -> LoadedIndex:
        """The current commit, reloaded when a build has swapped in a new one (each question calls this once).

        A new commit that cannot be loaded is logged once and the last good one keeps serving;
        a file of the served commit damaged on disk stops questions with a clear error instead of
        taking the process down (`search` checks file sizes before each question touches them)."""
        with self._lock:
            current = current_generation(self.settings.index_dir)
            if self._index is not None and current is not None and current.name in (self._index.generation, self._bad_generation):
                return self._index
            try:
                if self._embedder is None:  # the embedder the index was built with
                    self._embedder = indexed_embedder(self.settings)
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
            self._index, self._answerer = index, Answerer(index, reader=self._reader())
            self._bad_generation, self.problem = None, None
            return index

    def _reader(self):
        """The span reader the answerer uses (None: the typed extractor alone); without the neural model's files
        (or onnxruntime) the typed extractor answers alone."""
        policy = self.settings.reader
        if policy == "typed":
            return None
        with self._lock_reader:
            if self._span_reader is None:
                neural = NeuralReader()  # loads its model on first use; one per engine, whatever the index generation
                self._span_reader = CombinedReader(TypedExtractor(), neural, policy) if neural.available() else TypedExtractor()
            return self._span_reader

    def embedder(self) -> Embedder:
        """The embedder the index was built with."""
        self.refresh()
        return self._embedder

    def question(self, text: str, k=None, mode: str | None = None, since: str | None = None, until: str | None = None,
                 history: Sequence[Turn] = ()) -> Question:
        """The question checked and prepared once (QuestionError when it cannot be asked), for this index.

        `history`: the conversation's earlier turns (qa.answer.rewrite.turn_of); a follow-up is then rewritten
        into the self-contained question it means (diacritics restored first), and prefers the article the
        previous answer came from."""
        self.refresh()
        options = {"k": k, "mode": mode, "since": since, "until": until, "restore": self.restore, "embed": self.query_vector,
                   "count_tokens": self._embedder.token_count}
        if history:
            plain = make_question(text, self.settings, **options)  # checks the question and the options
            meant = rewrite(plain.understood, history)
            if meant.rewritten and len(meant.text) <= self.settings.max_question_chars:
                return make_question(meant.text, self.settings, **options, asked=plain.text, reference=meant.reference,
                                     prior_docs=meant.prior_docs)
            return replace(plain, prior_docs=meant.prior_docs) if meant.prior_docs else plain
        return make_question(text, self.settings, **options)

    def search(self, question: Question | str, **options) -> list[Hit]:
        """Ranked hits; a plain string is made into a Question first (with `options`: k, mode, since, until)."""
        if not isinstance(question, Question):
            question = self.question(question, **options)
        index = self.refresh()
        index.verify()  # once a question: files of the served commit still have their recorded sizes
        try:
            return search(index, question, self.settings)
        finally:
            self._release(index)

    def accent_model(self) -> AccentModel:
        """The diacritics model of the loaded index: the index's own when it has one, else built from its
        articles on first use; one per index generation."""
        index = self.refresh()
        with self._accents_lock:
            if self._accents is None or self._accents[0] != index.generation:
                own = getattr(index, "accent_model", None)
                model = own() if callable(own) else AccentModel.from_texts(
                    f"{article.title}\n{article.text}" for article in map(index.article, index.doc_ids()))
                self._accents = (index.generation, model)
            return self._accents[1]

    def restore(self, text: str) -> str:
        """`text` (typed without diacritics) with them restored from the corpus's own words."""
        return self.accent_model().restore(text)

    def understood_as(self, text: str) -> str:
        """The question as it will be understood: diacritics restored when it was typed without any."""
        return make_question(text, self.settings, restore=self.restore).understood

    def query_vector(self, question: str):
        """The question's vector; the last few are kept, since search and answer both need it."""
        question = normalize(question).strip()
        embedder = self.embedder()
        with self._vectors_lock:  # the chat server calls this from several threads
            vector = self._vectors.get(question)
        if vector is None:
            vector = embedder.embed_query(question)
            with self._vectors_lock:
                if len(self._vectors) >= 64:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[question] = vector
        return vector

    def ask(self, question: Question | str, **options) -> Answer:
        """Retrieve and answer; a plain string is made into a Question first (`options`: k, mode, since, until)."""
        if not isinstance(question, Question):
            question = self.question(question, **options)
        return self.answer(question, self.search(question))

    def answer(self, question: Question | str, hits: list[Hit]) -> Answer:
        """The answer out of `hits` (already retrieved for `question`), by the answerer of the index that retrieved them."""
        if not isinstance(question, Question):
            question = self.question(question)
        answerer = self._answerer or Answerer(self.refresh(), reader=self._reader())
        try:
            answer = answerer.answer(question, hits)
        finally:
            self._release(answerer.index)
        if question.rewritten:  # what a follow-up was understood as: the self-contained question
            return replace(answer, understood_as=question.understood)
        return replace(answer, understood_as=question.understood) if question.restored else answer

    def converse(self, questions: Sequence[str], **options) -> tuple[list[Question], list[Answer]]:
        """Ask `questions` in turn as one conversation (`options`: k, mode, since, until); each may lean on the ones before."""
        turns, asked, answers = [], [], []
        for text in questions:
            question = self.question(text, **options, history=turns)
            answer = self.ask(question)
            turns.append(turn_of(question, answer))
            asked.append(question)
            answers.append(answer)
        return asked, answers

    def _release(self, index: LoadedIndex) -> None:
        """Past the `mapped_index_mb` limit, the index pages this process has mapped go back to the page cache."""
        if self.settings.mapped_index_mb:
            index.release_pages(above_mb=self.settings.mapped_index_mb)

    def status(self) -> dict:
        index = self.refresh()
        m = index.manifest
        return {
            "index": str(index.path),
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
