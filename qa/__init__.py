"""qa: question answering in Vietnamese over a corpus of news articles."""

import os

# A question's matrix-vector products are small: one BLAS thread answers them fastest, and a second one
# only spins against the embedder's threads. Set before numpy loads (an explicit setting wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
