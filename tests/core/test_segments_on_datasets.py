"""Issue 13 on the real datasets (slow: the real model, every K 4-12): an actionable advised K with
every segment above the share floor, the sample data's true K, analyze and evaluate agreeing on K,
and segment names that never share more than half of their words."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from core.config import AnalysisConfig
from core.ingest.dataset import load_dataset
from core.pipeline import embed_and_profile, segment_and_describe
from core.recommend.evaluation import advised_k

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT / ".." / "shared" / "datasets"
CASES = {
    "sample": (ROOT / "sample_data" / "events.csv", None),
    "movielens": (
        DATASETS / "movielens_latest_small" / "ratings.csv.gz",
        DATASETS / "movielens_latest_small" / "movies.csv.gz",
    ),
    "online_retail": (DATASETS / "online_retail" / "online_retail.csv.gz", None),
}


def _jaccard(a: str, b: str) -> float:
    wa, wb = (set(re.findall(r"[\w\u4e00-\u9fff]+", n.lower())) for n in (a, b))
    return len(wa & wb) / max(len(wa | wb), 1)


@pytest.fixture(scope="module", params=sorted(CASES))
def prepared(request):
    events, items = CASES[request.param]
    if not events.exists():
        pytest.skip(f"{events} is not here")
    from core.embed.embedding import make_embedder

    embedder = make_embedder(None)
    dataset = load_dataset(events, items=items)
    return request.param, embed_and_profile(dataset, AnalysisConfig(), embedder=embedder), embedder


@pytest.mark.slow
def test_advised_k_is_actionable_quoted_from_the_table_and_shared_with_evaluate(prepared) -> None:
    name, prep, embedder = prepared
    config = AnalysisConfig(projection="pca")
    analysis = segment_and_describe(prep, config, embedder=embedder)
    k, sizes = analysis.segmentation.k, analysis.segmentation.sizes
    assert 4 <= k <= 12
    if name == "sample":
        assert k == 5  # its true K
    smallest = sizes.min() / sizes.sum()
    assert f"{smallest:.1%}" in analysis.k_advice.reason  # the advice quotes the sizes table
    assert smallest >= config.min_segment_share
    evaluate_k = advised_k(prep.dataset.events, prep.item_ids, prep.item_vectors, config).recommended_k
    assert evaluate_k == k  # `evaluate` chooses K with exactly this call


@pytest.mark.slow
def test_names_never_share_more_than_half_their_words_for_k_4_to_12(prepared) -> None:
    name, prep, embedder = prepared
    for k in [5] if name == "sample" else range(4, 13):
        analysis = segment_and_describe(prep, AnalysisConfig(k=k, projection="pca"), embedder=embedder)
        names = [s.name for s in analysis.segments]
        assert len(set(names)) == k
        worst = max(_jaccard(a, b) for a, b in itertools.combinations(names, 2))
        assert worst <= 0.5, (k, names)
