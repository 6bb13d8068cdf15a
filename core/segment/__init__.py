"""Stage 3, segment: user profiles -> a `Segmentation` (labels, centroids, confidence), K advice, maps.

Takes (n_users, dim) unit profile vectors; clusters them with K-means (default), Ward or HDBSCAN,
advises a K, measures per-segment stability, matches segment identities across re-runs and projects
users to 2-D/3-D for the map.

Public entry points:
- `core.segment.clustering.segment_users(vectors, method, k, ...)` -> `Segmentation`
- `core.segment.clustering.assign(new_vectors, segmentation)` -> (labels, confidence)
- `core.segment.k_advisor.advise_k(vectors, ...)` -> `KAdvice`
- `core.segment.stability.match_segments`, `relabel`, `who_moved`: identities across re-runs
- `core.segment.projection.project(vectors, ...)` -> 2-D/3-D coordinates (UMAP/PCA)
- `core.segment.segmenter.UserSegmenter`: the same as a scikit-learn estimator

Modules: types (`Segmentation`, `KAdvice`), clusterers (the algorithms), clustering (orchestration),
k_advisor, stability, projection, segmenter.
"""
