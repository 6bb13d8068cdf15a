"""core.estimate: run-time estimates from a measured speed, and the countdown while a run goes."""

from __future__ import annotations

import pytest

from core.estimate import Countdown, RunWork, estimate_run, stage_starts, text_work

WORK = RunWork(chars_to_embed=100_000, texts_to_embed=2_000, n_users=4_000, n_events=400_000)


def test_embedding_time_is_work_over_measured_speed():
    plan = estimate_run(WORK, 500.0)
    assert plan.stages["embed"] == pytest.approx(200.0)
    assert plan.texts_to_embed == 2_000


def test_a_machine_half_as_fast_takes_twice_as_long():
    fast, slow = estimate_run(WORK, 2_000.0), estimate_run(WORK, 1_000.0)
    assert slow.total == pytest.approx(2 * fast.total)


def test_reused_embeddings_cost_nothing_and_fixed_k_skips_the_advisor():
    plan = estimate_run(RunWork(**{**WORK.__dict__, "prepared": True, "auto_k": False}), 1_000.0)
    assert plan.stages["embed"] == plan.stages["profiles"] == plan.stages["k_advice"] == 0.0
    assert plan.texts_to_embed == 0 and plan.total > 0


def test_first_map_pays_for_compiling_umap():
    compiled = estimate_run(WORK, 1_000.0).stages["projection"]
    cold = estimate_run(RunWork(**{**WORK.__dict__, "map_compiled": False}), 1_000.0).stages["projection"]
    assert cold > compiled


def test_text_work_counts_characters_and_a_fixed_cost_per_text():
    assert text_work(["ab", "cde"]) > text_work(["abcde"])


def test_countdown_goes_down_as_stages_finish_and_replans_on_a_new_speed():
    speeds = iter([None, 1_000.0, 500.0, 500.0, 500.0])
    plan = estimate_run(WORK, 1_000.0)
    countdown = Countdown(plan, stage_starts(0.75),
                          replan=lambda: estimate_run(WORK, s) if (s := next(speeds)) else None)  # fmt: skip
    countdown.remaining(0.0, now=0.0)
    assert countdown.first_total is None  # nothing measured yet: no estimate to show
    at_start = countdown.remaining(0.05, now=5.0)
    assert countdown.first_total == pytest.approx(plan.total)
    slower = countdown.remaining(0.05, now=6.0)  # the embedder measured half the speed
    assert slower > at_start
    later = countdown.remaining(0.80, now=100.0)  # embedding done, segmenting
    assert 0 < later < slower
    assert countdown.remaining(1.0, now=200.0) == pytest.approx(0.0, abs=1e-9)
