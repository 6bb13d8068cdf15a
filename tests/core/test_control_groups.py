"""Control groups: a seeded share of every segment, the same users on every run with the same seed."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.errors import ConfigError
from core.export.bundle import bundle_bytes, load_bundle
from core.export.control import ControlGroup, control_flags
from core.export.writer import build_view
from tests.core.analysis_factory import make_analysis


def test_share_per_segment_is_close_to_the_asked_share() -> None:
    ids = [f"user-{i}" for i in range(20_000)]
    segments = np.arange(20_000) % 4
    flags = control_flags(ids, ControlGroup(share=0.1, seed=7))
    for s in range(4):
        assert abs(flags[segments == s].mean() - 0.1) < 0.015  # 5,000 users: sd 0.004


def test_the_draw_depends_only_on_user_and_seed() -> None:
    ids = [f"u{i}" for i in range(3000)]
    group = ControlGroup(share=0.2, seed=3)
    a = control_flags(ids, group)
    b = control_flags(list(reversed(ids)), group)[::-1]  # another order, as after a refresh
    assert (a == b).all()
    assert (control_flags(ids[:1000], group) == a[:1000]).all()  # other users do not change it
    other = control_flags(ids, ControlGroup(share=0.2, seed=4))
    assert (a != other).mean() > 0.2


def test_control_column_reaches_members_and_bundle() -> None:
    analysis = make_analysis()
    view = build_view(analysis, control=ControlGroup(share=0.3, seed=1))
    assert view.members["control"].dtype == bool and view.members["control"].any()
    bundle = load_bundle(bundle_bytes(view))
    assert (bundle.assignments["control"].to_numpy() == view.members["control"].to_numpy()).all()
    assert "control" not in build_view(analysis).members  # off by default


def test_a_tampered_control_column_is_refused() -> None:
    view = build_view(make_analysis(), control=ControlGroup(share=0.3, seed=1))
    raw = bundle_bytes(view)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "assignments.json":
                doc = json.loads(data)
                doc["control"][0] = "yes"
                data = json.dumps(doc).encode()
            dst.writestr(info.filename, data)
    with pytest.raises(Exception, match="control"):
        load_bundle(out.getvalue())


def test_share_out_of_range_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ControlGroup(share=0.9)
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "events.csv"
    code = main(["analyze", str(sample), "--out", str(tmp_path / "o"), "--control-share", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "--control-share" in err and "比例" in err


def test_analyze_and_refresh_keep_the_same_users_in_control(tmp_path: Path) -> None:
    events = pd.read_csv(
        Path(__file__).resolve().parents[2] / "sample_data" / "events.csv", dtype=str, keep_default_na=False
    )
    users = sorted(u for u in events["user_id"].unique() if u)
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    events[events["user_id"].isin(users[:200])].to_csv(old, index=False)
    events[events["user_id"].isin(users[100:300])].to_csv(new, index=False)
    opts = ["--recommendations", "0", "--control-share", "0.2", "--control-seed", "9"]
    fast = ["--model", "tfidf", "--projection", "pca", "--k", "5"]
    assert main(["analyze", str(old), *fast, *opts, "--out", str(tmp_path / "a")]) == 0
    assert (
        main(["refresh", str(tmp_path / "a" / "bundle.zip"), str(new), *opts, "--out", str(tmp_path / "b")])
        == 0
    )
    a = pd.read_csv(tmp_path / "a" / "members.csv", encoding="utf-8-sig", dtype={"user_id": str})
    b = pd.read_csv(tmp_path / "b" / "members.csv", encoding="utf-8-sig", dtype={"user_id": str})
    both = a.merge(b, on="user_id")
    assert len(both) == 100 and (both["control_x"] == both["control_y"]).all()
    assert set(a["control"]) == {"yes", "no"} and 0.1 < (a["control"] == "yes").mean() < 0.3
