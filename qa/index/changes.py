"""What changed in the corpus folders since the last commit: only files whose size or mtime changed are read,
and their articles are compared with the catalog by content hash (a text already indexed under another id is
a duplicate, skipped with a warning)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.errors import CorpusError
from qa.index.manifest import ArticleEntry, FileEntry
from qa.ingest.corpus import Article, corpus_files, id_collision_message, read_articles


def article_text_hash(article: Article) -> str:
    return article.text_hash()[:24]


@dataclass
class CorpusDiff:
    fresh: list[Article]  # added or changed, to go into the new segment
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]
    files: dict[str, list]  # path -> [size, mtime_ns, doc ids]: the catalog's file table after this build
    warnings: list[str]
    duplicates: list[tuple[str, str]]


def diff_corpus(folders: tuple[Path, ...], catalog: dict | None) -> CorpusDiff:
    """Read the files that changed since `catalog` and compare their articles with it."""
    old_articles = catalog["articles"] if catalog else {}
    old_files = catalog["files"] if catalog else {}
    seen: dict[str, str] = {}  # doc id -> source, for duplicate ids
    files: dict[str, list] = {}
    read: list[Article] = []
    warnings: list[str] = []
    unchanged: list[str] = []
    for folder in folders:
        if not folder.is_dir():
            raise CorpusError(f"không thấy thư mục kho bài: {folder}")
        for path in corpus_files(folder, warnings):
            key = str(path)
            try:
                st = path.stat()
            except OSError as exc:
                warnings.append(f"bỏ qua {path}: {exc.strerror}")
                continue
            old = FileEntry(*old_files[key]) if key in old_files else None
            if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns and all(d in old_articles for d in old.doc_ids):
                for doc_id in old.doc_ids:
                    _claim(seen, doc_id, key)
                unchanged.extend(old.doc_ids)
                files[key] = old_files[key]
                continue
            found, bad_lines = read_articles(path)
            warnings.extend(bad_lines)
            # Remembered even when unreadable (no articles, or bad lines): its warning is said once, and again only
            # when the file changes (saved again, e.g. as UTF-8).
            files[key] = list(FileEntry(st.st_size, st.st_mtime_ns, [a.doc_id for a in found]))
            for article in found:
                _claim(seen, article.doc_id, article.source or key)
            read.extend(found)
    fresh, added, changed, duplicates = [], [], [], []
    kept = set(unchanged)
    text_owner = {ArticleEntry(*entry).text_hash: doc for doc, entry in old_articles.items() if doc in kept}
    for article in sorted(read, key=lambda a: a.doc_id):
        old = ArticleEntry(*old_articles[article.doc_id]) if article.doc_id in old_articles else None
        if old and old.content_hash == article.content_hash():
            unchanged.append(article.doc_id)
            text_owner.setdefault(old.text_hash, article.doc_id)
            continue
        th = article_text_hash(article)
        owner = text_owner.get(th)
        if owner is not None and owner != article.doc_id:
            duplicates.append((article.doc_id, owner))
            warnings.append(f"bỏ qua {article.doc_id}: trùng nội dung với bài {owner}")
            for entry in files.values():  # read again once anything changes: the original may be gone by then
                if article.doc_id in entry[2]:
                    entry[0] = -1
                    entry[2] = [d for d in entry[2] if d != article.doc_id]  # a file lists its articles in the index
            continue
        text_owner[th] = article.doc_id
        fresh.append(article)
        (changed if old else added).append(article.doc_id)
    current = set(unchanged) | {a.doc_id for a in fresh}
    removed = sorted(d for d in old_articles if d not in current)
    return CorpusDiff(fresh, added, changed, removed, sorted(unchanged), files, warnings, duplicates)


def _claim(seen: dict[str, str], doc_id: str, source: str) -> None:
    if doc_id in seen and seen[doc_id] != source:
        raise CorpusError(id_collision_message(doc_id, seen[doc_id], source))
    seen[doc_id] = source
