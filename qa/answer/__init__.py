"""From ranked passages to a cited answer: the answerer, short answers, span readers, follow-up questions."""
