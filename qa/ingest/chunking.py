"""Articles into passages, with character offsets back into the article text."""

from __future__ import annotations

from dataclasses import dataclass

from qa.ingest.corpus import Article
from qa.language.text import unify_tones

# Paragraphs first, then Vietnamese sentence ends, then clauses, then words.
SEPARATORS = ["\n\n", "\n", ". ", "! ", "? ", "… ", "; ", ": ", ", ", " ", ""]


def chunking_params(settings) -> dict:
    """How articles are cut, as the manifest records it (an index built another way must be rebuilt)."""
    return {"splitter": "RecursiveCharacterTextSplitter", "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap}


@dataclass(frozen=True)
class Passage:
    pid: str
    doc_id: str
    text: str
    start: int  # article.text[start:end] == text
    end: int


def split_article(article: Article, chunk_size: int, chunk_overlap: int) -> list[Passage]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    passages: list[Passage] = []
    cursor = 0
    for chunk in splitter.split_text(article.text):
        # Overlapping chunks start after the previous start; find() from there keeps repeats apart.
        start = article.text.find(chunk, cursor)
        if start < 0:
            raise AssertionError(f"chunk not found in {article.doc_id}")
        passages.append(Passage(f"{article.doc_id}#{len(passages)}", article.doc_id, chunk, start, start + len(chunk)))
        cursor = start + 1
    return passages


def embedding_input(article: Article, passage: Passage) -> str:
    """What the embedder sees for a passage: the title, then the passage."""
    return unify_tones(f"{article.title}\n{passage.text}" if article.title else passage.text)
