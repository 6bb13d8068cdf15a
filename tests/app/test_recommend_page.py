"""Recommendations page: top-N for a user and a segment; evaluation on demand."""

from __future__ import annotations

import pytest

from tests.app.conftest import no_exceptions


@pytest.fixture
def on_recommend(seeded):
    at = seeded.run()
    return at.switch_page("app_pages/recommend.py").run()


def test_user_gets_top_n_with_reasons(on_recommend, analysis):
    at = on_recommend
    no_exceptions(at)
    frame = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert len(frame) == 10 and frame["rank"].tolist() == list(range(1, 11))
    seen = set(analysis.dataset.events.loc[analysis.dataset.events["user_id"] == "000", "item_id"])
    assert not seen & set(frame["item_id"])  # already-seen items are not recommended


def test_search_narrows_users_and_segment_mode_pools_members(on_recommend):
    at = on_recommend
    at.text_input(key="rec_query").set_value("05").run()
    assert all("05" in o for o in at.selectbox[-1].options)
    next(r for r in at.radio if r.label == "Recommend for").set_value("a segment").run()
    no_exceptions(at)
    assert any("members" in d.value.columns for d in at.dataframe)


def test_evaluation_runs_on_demand_and_is_reused(on_recommend, monkeypatch):
    import core.recommend.evaluation
    import ui.cached
    from core.recommend.evaluation import EvaluationResult

    calls = []

    def fake(dataset, **kwargs):
        calls.append(kwargs["segments"])
        return EvaluationResult(
            recommenders={
                "popular": {"hr@10": 0.2, "ndcg@10": 0.1},
                "hybrid": {"hr@10": 0.4, "ndcg@10": 0.25},
            },
            segmentations={"interest": {"hr@10": 0.3, "n_segments": 3}},
            split={"kind": "temporal"},
        )

    monkeypatch.setattr(ui.cached, "embedder_for", lambda config: None)
    monkeypatch.setattr(core.recommend.evaluation, "evaluate_dataset", fake)
    at = on_recommend
    assert any("Not run yet" in c.value for c in at.caption)
    at.button(key="eval_run").click().run()
    no_exceptions(at)
    frame = next(d.value for d in at.dataframe if "Method" in d.value.columns)
    # the dropdown's labels, a marketer's column name, and a verdict sentence
    assert frame["Method"].tolist() == ["Most popular (baseline)", "Hybrid (segment + content)"]
    assert frame["Users with a hit in their top 10"].tolist() == [0.2, 0.4]
    dropdown = next(s for s in at.selectbox if s.label == "Recommender")
    assert set(frame["Method"]) <= set(dropdown.options)
    verdicts = [s.value.replace("\\", "") for s in at.success]  # markdown-escaped on screen
    assert any("finds 100% more next items than best-sellers" in v for v in verdicts)
    at.button(key="eval_run").click().run()
    assert calls == [3]  # the second click reuses the session's result


def test_page_evaluation_reuses_the_analysis_vectors_and_dataset(app, analysis, monkeypatch):
    """The real evaluation behind the button: no model embedding and no file read, sample stated."""
    import dataclasses

    import pandas as pd

    import core.embed.embedding
    import core.ingest.dataset

    events = analysis.dataset.events  # 5 per user; a second, later visit gives each user a test part
    shifted = events["item_id"].str[1:].astype(int).add(3).mod(30).map("i{:03d}".format)  # same topic
    later = events.assign(timestamp=events["timestamp"] + pd.Timedelta(days=120), item_id=shifted)
    dataset = dataclasses.replace(analysis.dataset, events=pd.concat([events, later], ignore_index=True))
    app.session_state["dataset"] = dataset
    app.session_state["dataset_key"] = "test-dataset-key"
    app.session_state["dataset_label"] = "upload"
    app.session_state["analysis"] = dataclasses.replace(analysis, dataset=dataset)

    calls = {"embed": 0, "load": 0}

    def counting_embed(self, texts, *args, **kwargs):
        calls["embed"] += 1
        raise AssertionError("the evaluation embedded texts with the model again")

    def counting_load(*args, **kwargs):
        calls["load"] += 1
        raise AssertionError("the evaluation read the file again")

    monkeypatch.setattr(core.embed.embedding.SentenceTransformerEmbedder, "embed", counting_embed)
    monkeypatch.setattr(core.ingest.dataset, "load_dataset", counting_load)
    at = app.run().switch_page("app_pages/recommend.py").run()
    at.button(key="eval_run").click().run()
    no_exceptions(at)
    assert calls == {"embed": 0, "load": 0}
    frame = next(d.value for d in at.dataframe if "Method" in d.value.columns)
    assert len(frame) == 6  # every recommender was scored
    assert any("test users" in c.value and "Scored on" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
