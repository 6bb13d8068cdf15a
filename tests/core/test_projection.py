"""Maps of users: shapes, determinism, sampling and the PCA fallback.

UMAP tests are marked slow: the first UMAP fit on a machine compiles numba kernels (20-60 s here);
later processes load them from numba's on-disk cache.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.segment.projection import PROJECTIONS, project


def personas(k: int = 3, per: int = 100, dim: int = 64, seed: int = 0):
    """k well-separated personas on the unit sphere: vectors (k*per, dim), truth (k*per,)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(k), per)
    x = centres[truth] + 0.4 * rng.normal(size=(k * per, dim)) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def neighbour_purity(coords: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Share of each user's k nearest map neighbours that share its persona."""
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    nearest = np.argsort(d, axis=1)[:, :k]
    return float((truth[nearest] == truth[:, None]).mean())


def test_registry_lists_umap_and_pca():
    assert set(PROJECTIONS) == {"umap", "pca"}


@pytest.mark.parametrize("dims", [2, 3])
def test_pca_map_has_one_row_per_user_and_keeps_personas_apart(dims):
    x, truth = personas()
    result = project(x, dims=dims, method="pca")
    assert result.coords.shape == (len(x), dims) and result.coords.dtype == np.float32
    assert (result.method, result.sampled, result.n_fit) == ("pca", False, len(x))
    assert neighbour_purity(result.coords, truth) > 0.95
    np.testing.assert_array_equal(project(x, dims=dims, method="pca").coords, result.coords)


def test_too_few_users_for_umap_fall_back_to_pca_and_say_so():
    x, _ = personas(k=2, per=5)
    result = project(x, method="umap")
    assert result.method == "pca" and "PCA" in result.note
    assert result.coords.shape == (10, 2)


def test_a_single_user_gets_the_origin():
    np.testing.assert_array_equal(project(np.ones((1, 8)), method="pca").coords, [[0.0, 0.0]])


@pytest.mark.parametrize(
    ("vectors", "options"),
    [
        (np.ones((20, 4)), {"dims": 4}),
        (np.ones((20, 4)), {"method": "tsne"}),
        (np.full((20, 4), np.nan), {}),
        (np.ones(20), {}),
    ],
)
def test_bad_input_raises_a_domain_error(vectors, options):
    with pytest.raises(ConfigError):
        project(vectors, **options)


@pytest.fixture(scope="module")
def umap_maps():
    x, truth = personas()
    return x, truth, project(x, dims=2, seed=3), project(x, dims=3, seed=3)


@pytest.mark.slow
def test_umap_map_shapes_and_personas(umap_maps):
    x, truth, flat, solid = umap_maps
    assert flat.coords.shape == (len(x), 2) and solid.coords.shape == (len(x), 3)
    assert flat.method == "umap" and not flat.sampled and flat.n_fit == len(x)
    assert np.isfinite(flat.coords).all()
    assert neighbour_purity(flat.coords, truth) > 0.95


@pytest.mark.slow
def test_umap_same_seed_same_map(umap_maps):
    x, _, flat, _ = umap_maps
    np.testing.assert_array_equal(project(x, dims=2, seed=3).coords, flat.coords)


@pytest.mark.slow
def test_umap_above_max_fit_is_fitted_on_a_sample_and_says_so():
    x, truth = personas()
    result = project(x, dims=2, seed=3, max_fit=120)
    assert result.sampled and result.n_fit == 120 and "sample of 120" in result.note
    assert result.coords.shape == (len(x), 2)
    on_map = np.isfinite(result.coords).all(axis=1)
    assert on_map.sum() == 120 and np.isnan(result.coords[~on_map]).all()  # the others are not placed
    assert neighbour_purity(result.coords[on_map], truth[on_map]) > 0.9
