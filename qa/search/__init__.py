"""From a question to ranked passages: the question itself, hybrid retrieval, and the constraints it pins down."""
