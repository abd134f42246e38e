"""The errors a user may meet, in one leaf module: every layer raises them, the CLI and the chat word them.

Messages raised with Vietnamese text are shown as they are; `qa.messages` words the index errors, whose
own text may be technical."""


class UserError(Exception):
    """Bad input of the user: the CLI prints it as one line on stderr with exit code 2."""


class QuestionError(ValueError):
    """The question cannot be asked as it is; the message says why (in Vietnamese, for the user)."""


class CorpusError(Exception):
    """The corpus cannot be indexed as it is (e.g. two files claim one id)."""


class EmbedderError(Exception):
    """The embedding model cannot be loaded or run as configured."""


class IndexProblem(Exception):
    """Base for index problems."""


class IndexNotFound(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexLocked(IndexProblem):
    pass


class IndexNotWritable(IndexProblem):
    pass


class BuildAborted(RuntimeError):
    """A build stopped before its commit; the previous index stays in use."""
