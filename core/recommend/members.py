"""Per-member recommendations for the exports: every segmented user's top items, seen items excluded."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.recommend.registry import RECOMMENDERS

FAST_MEMBERS = 50_000  # from this many members: core.recommend.fast_members (no users x items matrix)

if TYPE_CHECKING:
    from core.analysis import Analysis


def recommend_for_members(
    analysis: Analysis, *, n: int = 5, method: str = "segment_popular"
) -> dict[str, list[str]]:
    """Top-n item texts for every segmented user (what the members CSV carries), seen items excluded.

    Default: the segment-aware recommender (the seed article's per-cluster strategy), which fits in
    about a second; any key of RECOMMENDERS works.
    """
    items = analysis.dataset.items
    text_of = dict(zip(items["item_id"].astype(str), items["text"].astype(str), strict=False))
    model = RECOMMENDERS[method]().fit(
        analysis.dataset.events,
        item_ids=analysis.item_ids,
        item_vectors=analysis.item_vectors,
        profiles=analysis.profiles,
        segmentation=analysis.segmentation,
        segment_names=[s.name for s in analysis.segments],
        item_texts=[text_of.get(str(i), str(i)) for i in analysis.item_ids],
    )
    if method == "segment_popular" and len(analysis.profiles) >= FAST_MEMBERS:
        from core.recommend.fast_members import segment_popular_top

        user_ids = np.asarray(analysis.profiles.user_ids, dtype=object).astype(str)
        top = segment_popular_top(model, user_ids, n)
        texts = pd.Series(text_of, dtype=object)  # reindex then shares the ~50k text objects: no 5M copies
        flat = top.ravel()
        mapped = texts.reindex(flat).to_numpy(dtype=object)
        named = np.where(flat != "", np.where(pd.isna(mapped), flat, mapped), "")
        named = named.reshape(top.shape)
        return {u: [t for t in row if t] for u, row in zip(user_ids.tolist(), named.tolist(), strict=True)}
    recs = model.recommend(analysis.profiles.user_ids, n=n, with_reasons=False)
    return {
        str(user): [text_of.get(str(item), str(item)) for item in row if item]
        for user, row in zip(recs.user_ids, recs.item_ids, strict=True)
    }
