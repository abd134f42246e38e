"""The index: immutable segments and a commit that names them (see manifest.py for the layout).

    manifest.py   the commit point, the build lock, stale-file cleanup
    segment.py    one segment: writing it, and opening it memory-mapped
    builder.py    `qa index`: what changed, embedding (with a resumable cache), a new segment, the commit
    merger.py     the merge policy and merges
    reader.py     a commit's live rows as one index: accessors and vector search
"""

from qa.index.builder import BuildReport, build_index, chunking_params, sentence_input
from qa.index.errors import BuildAborted, IndexCorrupt, IndexError_, IndexLocked, IndexMismatch, IndexNotFound, IndexNotWritable
from qa.index.manifest import BuildLock, current_generation, read_manifest
from qa.index.reader import LoadedIndex, RowFilter

__all__ = [
    "BuildAborted", "BuildLock", "BuildReport", "IndexCorrupt", "IndexError_", "IndexLocked", "IndexMismatch", "IndexNotFound",
    "IndexNotWritable", "LoadedIndex", "RowFilter", "build_index", "chunking_params", "current_generation", "read_manifest",
    "sentence_input",
]
