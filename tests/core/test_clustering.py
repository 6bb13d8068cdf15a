"""Segmentation on planted personas: recovery, determinism, assignment, stability, identity, advisor."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.segment.clusterers import CLUSTERER_LABELS, CLUSTERERS, nearest
from core.segment.clustering import assign, label_agreement, segment_users
from core.segment.k_advisor import advise_k
from core.segment.stability import match_segments, relabel, who_moved

METHODS = sorted(CLUSTERERS)


def planted(k: int = 5, per: int = 200, dim: int = 32, noise: float = 0.35, seed: int = 0):
    """k personas on the unit sphere, `per` users each: vectors (k*per, dim), truth (k*per,)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(k), per)
    x = centres[truth] + noise * rng.normal(size=(k * per, dim)) / np.sqrt(dim)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), truth


@pytest.fixture(scope="module")
def personas():
    return planted()


@pytest.fixture(scope="module")
def fitted(personas):
    x, _ = personas
    return {method: segment_users(x, method=method, k=5, seed=7) for method in METHODS}


def test_registry_has_a_label_for_every_method():
    assert set(CLUSTERERS) == {"kmeans", "agglomerative", "hdbscan"}
    assert set(CLUSTERER_LABELS) == set(CLUSTERERS)


@pytest.mark.parametrize("method", METHODS)
def test_planted_personas_are_recovered(personas, fitted, method):
    _, truth = personas
    seg = fitted[method]
    assert seg.k == 5
    assert label_agreement(seg.labels, truth)["ari"] >= 0.95
    assert seg.sizes.sum() == len(truth)
    np.testing.assert_allclose(np.linalg.norm(seg.centroids, axis=1), 1.0, atol=1e-5)
    assert (seg.confidence >= 0).all() and (seg.confidence <= 1).all()
    assert (seg.distance >= 0).all()


@pytest.mark.parametrize("method", METHODS)
def test_assign_returns_the_fit_labels_on_training_users(personas, fitted, method):
    x, _ = personas
    labels, confidence = assign(x, fitted[method])
    np.testing.assert_array_equal(labels, fitted[method].labels)
    np.testing.assert_allclose(confidence, fitted[method].confidence)
    # One user at a time gives the same answer: assignment does not depend on the batch.
    single = [assign(x[i : i + 1], fitted[method])[0][0] for i in range(0, len(x), 97)]
    np.testing.assert_array_equal(single, fitted[method].labels[::97])


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_gives_same_segments(personas, fitted, method):
    x, _ = personas
    again = segment_users(x, method=method, k=5, seed=7, stability_runs=0)
    np.testing.assert_array_equal(again.labels, fitted[method].labels)
    np.testing.assert_array_equal(again.centroids, fitted[method].centroids)


def test_kmeans_ends_at_its_spherical_fixed_point():
    # Users without structure: from sklearn's start this needs 12 refinement steps (seed 2), more than
    # the old cap of 10. At the fixed point one more Lloyd step moves nobody, which is what lets the
    # Spark engine (MLlib from the same start, then the same refinement) reach the same labels.
    from core.segment.clusterers import centroids_of, kmeans, normalise

    x = normalise(np.random.default_rng(2).standard_normal((3000, 8)))
    labels = kmeans(x, 8, 42)[0]
    assert np.array_equal(nearest(x, centroids_of(x, labels, 8))[0], labels)


def test_confidence_is_the_simplified_silhouette_worked_by_hand():
    # Centroids e1, e2. Confidence = 1 - d1/d2 with cosine distances d1 (own), d2 (second nearest).
    at_e1, at_30, halfway = [1.0, 0.0], [np.cos(np.pi / 6), np.sin(np.pi / 6)], [np.sqrt(0.5), np.sqrt(0.5)]
    labels, confidence, distance = nearest(np.array([at_e1, at_30, halfway]), np.eye(2))
    np.testing.assert_array_equal(labels, [0, 0, 0])
    d1, d2 = 1 - np.cos(np.pi / 6), 1 - 0.5
    np.testing.assert_allclose(confidence, [1.0, 1 - d1 / d2, 0.0], atol=1e-12)
    np.testing.assert_allclose(distance, [0.0, d1, 1 - np.sqrt(0.5)], atol=1e-12)


def test_stability_is_high_for_clean_personas_and_low_for_noise(fitted):
    assert fitted["kmeans"].stability.shape == (5,)
    assert fitted["kmeans"].stability.min() >= 0.9
    noise = np.random.default_rng(1).normal(size=(1000, 32)).astype(np.float32)
    unstable = segment_users(noise, k=5, seed=7).stability
    assert unstable.mean() < 0.6


def test_hdbscan_reports_outliers_and_assigns_them_by_default(personas):
    x, _ = personas
    rng = np.random.default_rng(2)
    scattered = rng.normal(size=(60, x.shape[1]))
    scattered /= np.linalg.norm(scattered, axis=1, keepdims=True)
    data = np.vstack([x, scattered]).astype(np.float32)
    seg = segment_users(data, method="hdbscan", k=5, stability_runs=0)
    assert seg.outlier_mask is not None
    assert seg.outlier_mask[-60:].mean() > 0.5  # most scattered users are noise
    assert seg.outlier_mask[:-60].mean() < 0.02  # personas are not
    assert seg.outlier_share == pytest.approx(seg.outlier_mask.mean())
    assert (seg.labels >= 0).all()
    kept = segment_users(data, method="hdbscan", k=5, stability_runs=0, assign_outliers=False)
    np.testing.assert_array_equal(kept.labels == -1, kept.outlier_mask)


def test_agglomerative_keeps_a_tree_for_the_dendrogram(fitted, personas):
    seg = fitted["agglomerative"]
    assert seg.tree.shape == (len(personas[1]) - 1, 4)  # scipy linkage: n - 1 merges
    assert len(seg.tree_users) == len(personas[1])


def test_identity_survives_a_rerun_on_shuffled_users(personas, fitted):
    x, _ = personas
    previous = fitted["kmeans"]
    order = np.random.default_rng(3).permutation(len(x))
    rerun = segment_users(x[order], k=5, seed=99, stability_runs=0)
    match = match_segments(rerun, previous)
    matched = relabel(rerun, match)
    np.testing.assert_array_equal(matched.labels, previous.labels[order])
    assert sorted(match.partner.values()) == [0, 1, 2, 3, 4]
    moved = who_moved(
        matched.labels, previous.labels, new_user_ids=order, previous_user_ids=np.arange(len(x))
    )
    assert np.trace(moved.to_numpy()) == len(x)  # nobody moved


def test_relabel_permutes_ids_and_keeps_users_together(fitted):
    seg = fitted["kmeans"]
    perm = {0: 3, 1: 0, 2: 4, 3: 1, 4: 2}
    moved = relabel(seg, perm)
    np.testing.assert_array_equal(moved.labels, np.array([perm[i] for i in seg.labels]))
    np.testing.assert_array_equal(moved.centroids[3], seg.centroids[0])
    assert moved.sizes[3] == seg.sizes[0] and moved.stability[3] == seg.stability[0]
    np.testing.assert_array_equal(relabel(moved, match_segments(moved, seg)).labels, seg.labels)
    with pytest.raises(ConfigError):
        relabel(seg, {0: 0, 1: 0, 2: 1, 3: 2, 4: 3})


def test_a_new_segment_without_partner_gets_a_fresh_id(personas, fitted):
    x, truth = personas
    four = segment_users(x[truth < 4], k=4, stability_runs=0)
    match = match_segments(fitted["kmeans"], four)
    assert sum(p is None for p in match.partner.values()) == 1
    assert sorted(match.mapping.values()) == [0, 1, 2, 3, 4]


def test_label_agreement_ignores_label_names():
    truth = np.array(["a", "a", "b", "b", "c", "c"])
    assert label_agreement(np.array([2, 2, 0, 0, 1, 1]), truth) == {"ari": 1.0, "nmi": 1.0}
    assert label_agreement(np.array([0, 1, 0, 1, 0, 1]), truth)["ari"] < 0.1


@pytest.mark.parametrize(
    ("vectors", "method", "k"),
    [
        (np.ones((10, 4)), "kmeans", 1),
        (np.ones((10, 4)), "kmeans", 11),
        (np.ones((10, 4)), "spectral", 3),
        (np.full((10, 4), np.nan), "kmeans", 3),
        (np.ones(4), "kmeans", 2),
    ],
)
def test_bad_input_raises_a_domain_error(vectors, method, k):
    with pytest.raises(ConfigError):
        segment_users(vectors, method=method, k=k)


def test_assign_rejects_vectors_of_another_dimension(fitted):
    with pytest.raises(ConfigError):
        assign(np.ones((3, 7)), fitted["kmeans"])


@pytest.mark.parametrize("true_k", [2, 3, 5, 8])
def test_advisor_recovers_the_planted_k(true_k):
    """Real groups win even below the actionable range (2, 3); the reason says so in both languages."""
    x, _ = planted(k=true_k, per=120, dim=48, noise=0.9, seed=true_k)
    advice = advise_k(x, seed=1)
    assert advice.recommended_k == true_k
    assert f"K={advice.recommended_k}" in advice.reason and f"K={true_k}" in advice.reason_zh
    assert list(advice.table["k"]) == list(range(2, 13))
    assert {"inertia", "silhouette", "davies_bouldin", "calinski_harabasz", "min_share", "stability"} <= set(
        advice.table.columns
    )
    assert advice.silhouette_sample is None  # under 3,000 users: no sampling


def test_weak_structure_gets_an_actionable_k_with_every_segment_above_the_floor():
    """One overlapping cloud: no K is 'the' answer, so the advice stays in 4-12 and says why."""
    cloud = np.random.default_rng(11).normal(size=(900, 32)).astype(np.float32)
    advice = advise_k(cloud, seed=2)
    assert 4 <= advice.recommended_k <= 12
    assert advice.table.set_index("k").loc[advice.recommended_k, "min_share"] >= 0.02
    assert "overlap" in advice.reason and "重叠" in advice.reason_zh


def test_a_small_outlying_group_does_not_make_k_two():
    """93% / 7%: a tight niche beside a cloud separates well at K=2, but that is not two groups to act on."""
    rng = np.random.default_rng(12)
    cloud = np.eye(32)[0] + rng.normal(size=(560, 32)) / np.sqrt(32)
    niche = np.eye(32)[1] + 0.3 * rng.normal(size=(40, 32)) / np.sqrt(32)
    advice = advise_k(np.vstack([cloud, niche]).astype(np.float32), seed=3)
    assert advice.table.set_index("k").loc[2, "silhouette"] > 0.4  # K=2 would have won on silhouette
    assert 4 <= advice.recommended_k <= 12


def test_k_range_is_configurable_and_the_quoted_share_is_the_final_one():
    from core.config import AnalysisConfig, parse_k_range
    from core.segment.k_advisor import advise_for_config, final_advice

    cloud = np.random.default_rng(13).normal(size=(600, 24)).astype(np.float32)
    advice = advise_for_config(cloud, AnalysisConfig(k_min=6, k_max=8, seed=4))
    assert 6 <= advice.recommended_k <= 8 and list(advice.table["k"]) == list(range(2, 9))
    seg = segment_users(cloud, k=advice.recommended_k, seed=4, stability_runs=0)
    final = final_advice(advice, seg.sizes)
    smallest = f"{seg.sizes.min() / seg.sizes.sum():.1%}"
    assert smallest in final.reason and smallest in final.reason_zh
    assert (
        final.table.set_index("k").loc[advice.recommended_k, "min_share"] == seg.sizes.min() / seg.sizes.sum()
    )
    assert parse_k_range("4-12") == (4, 12)
    with pytest.raises(ValueError):
        parse_k_range("12-4")


def test_advisor_respects_the_minimum_segment_share():
    x, _ = planted(k=4, per=150, dim=32, seed=4)
    tiny, _ = planted(k=1, per=6, dim=32, seed=40)  # a 1% persona
    advice = advise_k(np.vstack([x, tiny]), k_range=range(2, 8), min_segment_share=0.05)
    chosen = advice.table.set_index("k").loc[advice.recommended_k]
    assert chosen["min_share"] >= 0.05


def test_advisor_rejects_a_range_with_no_usable_k():
    with pytest.raises(ConfigError):
        advise_k(np.eye(3, dtype=np.float32), k_range=range(5, 8))


def test_advisor_says_when_segments_overlap():
    noise = np.random.default_rng(5).normal(size=(400, 32)).astype(np.float32)
    assert "overlap" in advise_k(noise, k_range=range(2, 6)).reason
    clear, _ = planted(k=4, per=100, dim=32, seed=6)
    assert "overlap" not in advise_k(clear, k_range=range(2, 6)).reason


def test_large_populations_switch_to_minibatch_and_still_recover_personas(personas, monkeypatch):
    import core.segment.clusterers

    monkeypatch.setattr(core.segment.clusterers, "MINIBATCH_THRESHOLD", 500)
    monkeypatch.setattr(core.segment.clusterers, "MINIBATCH_INIT_USERS", 300)
    x, truth = personas
    seg = segment_users(x, k=5, stability_runs=2)
    assert any("MiniBatch" in note for note in seg.notes)
    assert label_agreement(seg.labels, truth)["ari"] >= 0.95
    np.testing.assert_array_equal(assign(x, seg)[0], seg.labels)


def test_advisor_is_deterministic_for_a_seed():
    x, _ = planted(k=4, per=80, dim=24, noise=0.9, seed=8)
    first, second = advise_k(x, k_range=range(2, 7), seed=3), advise_k(x, k_range=range(2, 7), seed=3)
    assert first.table.equals(second.table) and first.reason == second.reason


def test_weak_structure_takes_the_finest_stable_k() -> None:
    """Real behaviour data: every silhouette is low and peaks at K=2; the advice is the finest stable K."""
    import pandas as pd

    from core.segment.k_advisor import _recommend

    table = pd.DataFrame(
        {
            "k": [2, 3, 4, 5, 6, 7],
            "silhouette": [0.14, 0.11, 0.09, 0.08, 0.08, 0.04],
            "min_share": [0.40, 0.14, 0.11, 0.10, 0.045, 0.01],
            "stability": [0.92, 0.69, 0.59, 0.90, 0.83, 0.90],
        }
    )
    assert _recommend(table, 0.02, 0.8, 2) == (6, "finest")  # K=7 has a segment under 2%; 3, 4 unstable
    assert _recommend(table, 0.02, 0.8, 4) == (6, "finest")  # K=2 is stable but weak: not two real groups

    clear = table.assign(silhouette=[0.30, 0.40, 0.70, 0.50, 0.45, 0.2])
    assert _recommend(clear, 0.02, 0.8, 2) == (5, "clearest")  # strong structure: highest silhouette wins
    unstable = table.assign(stability=0.5)
    assert _recommend(unstable, 0.02, 0.8, 4) == (4, "size_only")
