"""The index: immutable segments and a commit that names them (see manifest.py for the layout).

    manifest.py   the commit point, the build lock, stale-file cleanup
    segment.py    one segment: writing it, and opening it memory-mapped
    changes.py    what changed in the corpus folders since the last commit
    builder.py    `qa index`: embedding what changed (with a resumable cache), a new segment, the commit
    embed_cache.py  vectors of a build in progress, so a killed build resumes
    bm25.py       the lexical postings (their storage and BM25 over all segments)
    merger.py     the merge policy and merges
    reader.py     a commit's live rows as one index: accessors and vector search
"""

from qa.index.builder import BuildReport, build_index, indexed_embedder, sentence_input
from qa.index.manifest import BuildLock, current_generation, read_manifest
from qa.index.reader import LoadedIndex, RowFilter

__all__ = [
    "BuildLock", "BuildReport", "LoadedIndex", "RowFilter", "build_index", "indexed_embedder", "current_generation", "read_manifest",
    "sentence_input",
]
