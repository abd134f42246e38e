"""Merges: fold segments together so a question searches few of them and deleted rows go away.

Tiered policy, as in Lucene: segments are grouped by size (powers of `merge_factor`
passages); when one tier holds `merge_factor` segments they become one. A segment
with more than half of its articles deleted is rewritten too. Each merge copies
rows (vectors, postings) without embedding or tokenizing anything again."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from qa.index.bm25 import merge_postings
from qa.index.manifest import ArticleEntry, with_segments
from qa.index.segment import Segment, SegmentData, new_segment
from qa.language.accents import AccentModel
from qa.settings import Settings


def segments_to_merge(entries: list[dict], settings: Settings, everything: bool = False) -> list[str]:
    if everything:
        return [e["name"] for e in entries] if len(entries) > 1 or any(e["deleted"] for e in entries) else []
    mostly_deleted = [e["name"] for e in entries if len(e["deleted"]) * 2 > e["articles"]]
    tiers: dict[int, list[dict]] = {}
    for e in entries:
        if e["live_passages"] * settings.merge_factor <= settings.segment_max_passages:  # big segments only shed deletes
            tiers.setdefault(int(math.log(max(e["live_passages"], 1), settings.merge_factor)), []).append(e)
    for _, group in sorted(tiers.items()):
        if len(group) >= settings.merge_factor:
            names = {e["name"] for e in group[: settings.merge_factor]} | set(mostly_deleted)
            return [e["name"] for e in entries if e["name"] in names]
    return mostly_deleted


def merge_segments(index_dir: Path, manifest: dict, catalog: dict, names: list[str], settings: Settings) -> tuple[dict, dict]:
    """A new manifest and catalog in which the segments `names` are replaced by one."""

    entries = {e["name"]: e for e in manifest["segments"]}
    articles, passages, sentences, pv, sv, ph, sh, lexical, kinds = [], [], [], [], [], [], [], [], []
    moved: dict[tuple[str, int], int] = {}
    for name in names:
        segment = Segment(index_dir / "segments" / name)
        live = np.ones(segment.meta["articles"], dtype=bool)
        live[entries[name]["deleted"]] = False
        new_article = np.cumsum(live) - 1 + len(articles)
        for row in np.flatnonzero(live):
            moved[(name, int(row))] = int(new_article[row])
            articles.append(segment.article(int(row)))
        keep_p = live[segment.passages[:, 0]]
        new_passage = np.where(keep_p, np.cumsum(keep_p) - 1 + sum(len(x) for x in passages), -1)
        rows = np.array(segment.passages[keep_p])
        rows[:, 0] = new_article[rows[:, 0]]
        keep_s = live[segment.sentences[:, 0]]
        srows = np.array(segment.sentences[keep_s])
        srows[:, 0] = new_article[srows[:, 0]]
        srows[:, 3:] = np.where(srows[:, 3:] >= 0, new_passage[np.maximum(srows[:, 3:], 0)], -1)
        passages.append(rows)
        sentences.append(srows)
        kinds.append(np.asarray(segment.sentence_kinds[keep_s]))
        pv.append(np.asarray(segment.passage_vectors[keep_p]))
        sv.append(np.asarray(segment.sentence_vectors[keep_s]))
        ph.append(np.load(segment.folder / "passage_hashes.npy")[keep_p])
        sh.append(np.load(segment.folder / "sentence_hashes.npy")[keep_s])
        lexical.append((segment.folder / "lexical", new_passage.astype(np.int64), np.asarray(segment.lengths[keep_p])))
    data = SegmentData(articles, np.concatenate(passages), np.concatenate(sentences), np.concatenate(pv), np.concatenate(sv),
                       np.concatenate(ph), np.concatenate(sh), lambda folder: merge_postings(folder, lexical),
                       AccentModel.merge([Segment(index_dir / "segments" / name).accent_model() for name in names]),
                       np.concatenate(kinds))
    entry = new_segment(index_dir, data, settings)
    table = dict(catalog["articles"])
    for doc_id, value in table.items():
        old = ArticleEntry(*value)
        if (old.segment, old.row) in moved:
            table[doc_id] = list(old._replace(segment=entry["name"], row=moved[(old.segment, old.row)]))
    kept = [e for e in manifest["segments"] if e["name"] not in set(names)]
    position = min(i for i, e in enumerate(manifest["segments"]) if e["name"] in set(names))
    kept.insert(position, entry)
    return with_segments(manifest, kept), {**catalog, "articles": table}
