"""Segments page: results of a run, the advisor, the map, failures keep the previous run, K reuse."""

from __future__ import annotations

import re

import numpy as np
import pytest

import core.pipeline
import ui.cached
from core.analysis import Prepared
from core.errors import EmbeddingError
from tests.app.conftest import no_exceptions
from tests.app.factory import make_analysis
from ui.widgets import selected_users


@pytest.fixture
def on_segments(seeded):
    at = seeded.run()
    return at.switch_page("app_pages/segments.py").run()


def test_results_show_metrics_map_sizes_and_advice(on_segments, analysis):
    at = on_segments
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.main.metric}
    assert metrics["Segments"] == "3" and metrics["Silhouette"] == "0.500"
    charts = at.get("plotly_chart")
    assert len(charts) >= 3  # map, sizes, advisor
    assert any("Recommended K = 3" in i.value for i in at.info)
    sizes = next(d.value for d in at.dataframe if "share" in d.value.columns)
    assert sizes["users"].tolist() == [s.size for s in analysis.segments]


def test_map_hover_escapes_item_text(on_segments):
    import json

    figure = json.loads(on_segments.get("plotly_chart")[0].proto.spec)
    hover = " ".join(" ".join(trace.get("text", [])) for trace in figure["data"])
    assert "&lt;sc" in hover  # the hostile item is there, escaped
    assert "<sc" not in hover and "![px]" in hover  # plotly shows it as literal text


def test_lasso_points_map_back_to_user_ids():
    users = np.array(["a", "b", "c"], dtype=object)
    event = {"selection": {"points": [{"customdata": 2}, {"customdata": 0}, {"customdata": 2}, {"x": 1}]}}
    assert selected_users(event, users) == ["a", "c"]
    assert selected_users(None, users) == []


def test_failed_run_shows_error_and_keeps_previous_results(on_segments, analysis, monkeypatch):
    def broken(*args, **kwargs):
        raise EmbeddingError("The model ran out of memory.", "模型内存不足。")

    monkeypatch.setattr(ui.cached, "embedder_for", lambda config: None)
    monkeypatch.setattr(core.pipeline, "embed_and_profile", broken)
    at = on_segments
    at.button(key="FormSubmitter:run_form-Run analysis").click().run()
    no_exceptions(at)
    assert any("out of memory" in e.value for e in at.error)
    assert at.session_state["analysis"] is analysis
    assert any("previous results" in c.value for c in at.caption)
    assert at.get("plotly_chart")  # the previous map is still drawn


def test_changing_k_reuses_embeddings_and_profiles(on_segments, analysis, monkeypatch):
    calls = {"prepare": 0, "segment": 0}

    def prepare(dataset, config, *, progress=None, embedder=None):
        calls["prepare"] += 1
        progress(0.5, "Embedding")
        return Prepared(dataset, analysis.item_ids, analysis.item_vectors, analysis.profiles, {}, {})

    def segment(prepared, config, *, progress=None, embedder=None, previous=None):
        calls["segment"] += 1
        return make_analysis(k=config.k or 3, run_id=f"run-k{config.k}")

    monkeypatch.setattr(ui.cached, "embedder_for", lambda config: None)
    monkeypatch.setattr(core.pipeline, "embed_and_profile", prepare)
    monkeypatch.setattr(core.pipeline, "segment_and_describe", segment)
    at = on_segments
    auto = next(c for c in at.checkbox if c.label.startswith("Let the advisor"))
    auto.uncheck()
    k_input = next(n for n in at.number_input if n.label == "K")
    k_input.set_value(4)
    at.button(key="FormSubmitter:run_form-Run analysis").click().run()
    no_exceptions(at)
    assert at.session_state["analysis"].segmentation.k == 4
    next(n for n in at.number_input if n.label == "K").set_value(5)
    at.button(key="FormSubmitter:run_form-Run analysis").click().run()
    assert at.session_state["analysis"].segmentation.k == 5
    assert calls == {"prepare": 1, "segment": 2}
    assert any("changing K" in c.value for c in at.caption)  # the page says the next run is warm


def test_estimate_comes_from_the_speed_measured_on_this_machine(app, analysis):
    app.session_state["dataset"] = analysis.dataset
    app.session_state["dataset_key"] = "estimate-key"
    at = app.run().switch_page("app_pages/segments.py").run()
    no_exceptions(at)
    assert any("as soon as the first texts are embedded" in c.value for c in at.caption)  # nothing measured
    ui.cached.shared_embedder(None, "auto", "auto").chars_per_s = 50.0  # as after a first block
    at = at.run()
    note = next(c.value for c in at.caption if "on this machine" in c.value)
    assert "measured here: 50 characters/s" in note
    to_embed = re.search(r"([\d,]+) item texts to embed", note)
    assert to_embed is not None and int(to_embed.group(1).replace(",", "")) <= len(analysis.dataset.items)


def test_last_run_card_is_what_the_last_press_cost(seeded, analysis):
    seeded.session_state["last_action"] = {"run_id": analysis.run_id, "seconds": 0.1, "reused": True,
                                           "estimated": None}  # fmt: skip
    at = seeded.run().switch_page("app_pages/segments.py").run()
    card = next(m for m in at.main.metric if m.label == "Last run")
    assert card.value == "0.1 s" and "reused" in card.help


def test_k_box_starts_from_the_k_the_advisor_chose(on_segments, analysis):
    """An advised run (or an opened CLI run) shows its own K in the K box, not a fixed 6, so turning
    the advisor off starts from what is on screen."""
    at = on_segments
    assert analysis.config.k is None and analysis.segmentation.k == 3
    k_box = next(n for n in at.number_input if n.label == "K")
    assert k_box.value == analysis.segmentation.k


def test_a_second_k_is_run_when_the_result_carries_the_first(on_segments, analysis, monkeypatch):
    """As the real pipeline does, the result's config holds the K it ran with; the K box then starts
    from it on the next render, and a K typed after that must still be the K that runs."""
    import dataclasses

    def prepare(dataset, config, *, progress=None, embedder=None):
        return Prepared(dataset, analysis.item_ids, analysis.item_vectors, analysis.profiles, {}, {})

    def segment(prepared, config, *, progress=None, embedder=None, previous=None):
        return dataclasses.replace(make_analysis(k=config.k or 3, run_id=f"run-k{config.k}"), config=config)

    monkeypatch.setattr(ui.cached, "embedder_for", lambda config: None)
    monkeypatch.setattr(core.pipeline, "embed_and_profile", prepare)
    monkeypatch.setattr(core.pipeline, "segment_and_describe", segment)
    at = on_segments
    next(c for c in at.checkbox if c.label.startswith("Let the advisor")).uncheck()
    for wanted in (4, 5, 7):
        next(n for n in at.number_input if n.label == "K").set_value(wanted)
        at.button(key="FormSubmitter:run_form-Run analysis").click().run()
        no_exceptions(at)
        assert at.session_state["analysis"].segmentation.k == wanted
