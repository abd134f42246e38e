from qa.ingest.chunking import split_article
from qa.ingest.corpus import load_corpus
from tests.conftest import SEED_CORPUS


def test_every_passage_slices_back_out_of_its_article():
    articles, _ = load_corpus([SEED_CORPUS])
    for size, overlap in [(600, 120), (300, 50), (1200, 0)]:
        for article in articles:
            passages = split_article(article, size, overlap)
            assert passages, article.doc_id
            for p in passages:
                assert article.text[p.start : p.end] == p.text
                assert p.doc_id == article.doc_id and len(p.text) <= size
            # together they cover the article from its first to its last character
            assert passages[0].start == 0 and passages[-1].end == len(article.text)


def test_pids_are_unique_and_ordered():
    articles, _ = load_corpus([SEED_CORPUS])
    passages = split_article(articles[4], 600, 120)
    assert [p.pid for p in passages] == [f"{articles[4].doc_id}#{i}" for i in range(len(passages))]
    assert all(a.start < b.start for a, b in zip(passages, passages[1:]))
