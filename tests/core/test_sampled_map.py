"""A sampled map (more users than the map sample): only the sample has coordinates; every export
still lists every user, with x/y left empty for users not on the map."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace

import numpy as np
import pytest

from core.export.fast import csv_bytes
from core.export.report import html_report, map_figure_json
from core.export.tables import members_csv_bytes, neutralise
from core.export.writer import build_view
from tests.core.analysis_factory import make_large_analysis


def _sampled(n_users: int, on_map: int):
    analysis = make_large_analysis(n_users)
    coords = np.full((n_users, 2), np.nan, dtype=np.float32)
    rows = np.random.default_rng(0).choice(n_users, on_map, replace=False)
    coords[rows] = np.random.default_rng(1).standard_normal((on_map, 2))
    info = {**analysis.projection_info, "sampled": True, "n_fit": on_map}
    return replace(analysis, coords=coords, projection_info=info), rows


@pytest.mark.parametrize("writer", ["pandas", "pyarrow"])
def test_members_csv_lists_every_user_with_empty_xy_off_the_map(writer: str) -> None:
    analysis, rows = _sampled(3000, 500)
    view = build_view(analysis)
    data = members_csv_bytes(view) if writer == "pandas" else csv_bytes(view.members, neutralise)
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(table) == 3000
    placed = [i for i, r in enumerate(table) if r["x"] != ""]
    assert sorted(placed) == sorted(rows.tolist())
    assert all(r["y"] == "" for r in table if r["x"] == "")
    assert all(r["segment_id"] != "" for r in table)  # every user keeps its segment


def test_report_map_draws_only_users_on_the_map_and_says_how_many() -> None:
    analysis, rows = _sampled(3000, 500)
    view = build_view(analysis)
    figure, sampled = map_figure_json(view)
    points = sum(len(trace["x"]) for trace in json.loads(figure)["data"])
    assert sampled and points == 500
    assert "nan" not in figure.lower()
    text = re.sub(r"\s+", " ", html_report(view))
    assert "seeded sample of 500 of 3,000 users" in text
