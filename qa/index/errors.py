"""Index problems; each message says what to do."""


class IndexError_(Exception):
    """Base for index problems."""


class IndexNotFound(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexLocked(IndexError_):
    pass


class IndexNotWritable(IndexError_):
    pass


class BuildAborted(RuntimeError):
    pass
