"""Stage 4, explain: events + a segmentation -> one `SegmentProfile` per segment.

Takes the cleaned events, the segmentation and the item texts; returns what each segment is about:
a name, keywords, sentiment, top items with lift, composition by attribute, revenue and ratings.

Public entry points:
- `core.explain.insights.describe_segments(...)` -> list of `SegmentProfile`
- `core.explain.insights.compare_segments(a, b, ...)`: two segments side by side
- `core.explain.sentiment.score_sentiment(texts, ...)`: review sentiment (EN/ZH)
- `core.explain.keywords`, `core.explain.naming`: per-segment terms and names

Modules: segment_stats (sizes, lifts, composition), keywords, naming, sentiment, insights.
"""
