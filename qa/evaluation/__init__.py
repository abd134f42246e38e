"""`qa eval`: retrieval and answer metrics over question files, TREC runs and reports."""
