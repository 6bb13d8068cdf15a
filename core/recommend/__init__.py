"""Stage 5, recommend and evaluate: events + vectors + segments -> ranked items; metrics vs baselines.

Every recommender has one interface: `fit(train_events, *, item_ids, item_vectors, ...)` -> self and
`recommend(user_ids, n)` -> `Recommendations`. Offline evaluation splits the events (temporal or
random), ranks the whole catalogue and scores recommenders and segmentations against baselines.

Public entry points:
- `core.recommend.registry.RECOMMENDERS`: name -> recommender class (popular, item_knn,
  segment_popular, content, logistic, hybrid)
- `core.recommend.members.recommend_for_members(analysis, n)`: top items per member for exports
- `core.recommend.evaluation.evaluate_dataset(dataset, ...)` -> `EvaluationResult`
- `core.recommend.segment_power.segment_power(...)`: how well a segmentation predicts what comes next
- `core.recommend.readable.readable_tables(evaluation_json, lang)`: the evaluation for people
  (labels, best values, one verdict per table) for the app, the HTML report and Excel

Modules: base (interface, interactions), models, logistic, hybrid, registry, members, splits,
metrics, segment_power, evaluation, evaluation_cli (`python -m core evaluate`), readable.
"""
