"""Stage 7, serving: a saved project bundle (+ optionally the events it was made from) -> an HTTP API.

Takes a bundle (core.export.bundle) and, for known items, users and recommendations, the events table;
gives real-time segment assignment and recommendations over HTTP (FastAPI on uvicorn). Everything a
request needs is precomputed at startup (`ServingState`); a request costs a weighted mean of a few
item vectors and one product with the centroids, with the batch rules of core.embed.profiles.

Public entry points:
- `core.serve.state.load_state(bundle_path, dataset, embedder)` -> `ServingState` (`assign`, `recommend`)
- `core.serve.api.create_app(state, api_key=..., max_body_bytes=...)` -> the FastAPI app
- `core.serve.api.serve(app, host, port)`: runs it with uvicorn (`python -m core serve`)

Modules: state (precomputed arrays, the hot path), api (routes, validation, errors, logging).
"""
