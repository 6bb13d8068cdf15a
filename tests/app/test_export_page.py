"""Export page: four downloads, privacy options, file names from a template."""

from __future__ import annotations

from tests.app.conftest import no_exceptions
from tests.app.factory import make_analysis
from ui import state
from ui.widgets import file_name


def test_all_four_downloads_are_offered(seeded):
    at = seeded.run()
    at.switch_page("app_pages/export.py").run()
    no_exceptions(at)
    assert [b.key for b in at.get("download_button")] == ["dl_members", "dl_excel", "dl_html", "dl_bundle"]
    at.toggle(key="exp_pseudo").set_value(True).run()
    at.number_input(key="exp_min").set_value(25).run()
    no_exceptions(at)
    assert any("merged" in c.value for c in at.caption)  # 3 segments of 20 < 25


def test_file_names_carry_the_run_id_never_the_upload_name():
    analysis = make_analysis(run_id="20240101-000000-abc123")
    name = file_name(analysis, "members", "csv")
    assert name.startswith("interest-lens_members_20240101-000000-abc123_") and name.endswith(".csv")
    hostile = make_analysis(run_id="../../etc/passwd")
    assert "/" not in file_name(hostile, "html", "html") and ".." not in file_name(hostile, "html", "html")


def test_per_user_recommendations_on_request(seeded):
    at = seeded.run()
    at.switch_page("app_pages/export.py").run()
    assert at.number_input(key="exp_n_recs").disabled  # off by default
    at.toggle(key="exp_recs").set_value(True).run()
    at.number_input(key="exp_n_recs").set_value(3).run()
    no_exceptions(at)
    assert [b.key for b in at.get("download_button")] == ["dl_members", "dl_excel", "dl_html", "dl_bundle"]
    store = at.session_state[state.CACHE]["member_recs"]  # what the files were built with
    recs = next(value for key, value in store.items() if key.endswith(":3"))
    analysis = at.session_state[state.ANALYSIS]
    assert set(recs) == set(analysis.profiles.user_ids.astype(str))
    assert max(len(items) for items in recs.values()) == 3


def test_control_group_column_on_request(seeded):
    import io

    import pandas as pd

    at = seeded.run()
    at.switch_page("app_pages/export.py").run()
    assert at.number_input(key="exp_control_seed").disabled  # no control group by default
    at.number_input(key="exp_control").set_value(20).run()
    no_exceptions(at)
    store = at.session_state[state.CACHE]["export"]
    members = pd.read_csv(io.BytesIO(list(store.values())[-1]["members"]), encoding="utf-8-sig")
    assert set(members["control"]) == {"yes", "no"} and 0.05 < (members["control"] == "yes").mean() < 0.4
