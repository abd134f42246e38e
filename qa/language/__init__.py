"""Vietnamese text: normalization, sentences, search tokens, stopwords, and restoring diacritics."""
