"""Issue 12, point 7 (readability): what a user sees in the charts and tables, asserted on the
figures and the rendered page (no browser): legends off the axes, titled colour bars, distinct hues
per attribute value, member ids in natural order, segment recommendations with reasons, page words."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import plotly.colors as pc

from tests.app.conftest import no_exceptions
from ui.charts import ATTRIBUTE_PALETTE, OTHER_COLOR, PALETTE, k_advice_figure, map_figure, sentiment_figure
from ui.widgets import natural_order


def _above_plot(fig) -> bool:
    legend = fig.layout.legend
    return legend.orientation == "h" and legend.y >= 1.0 and legend.yanchor == "bottom"


def test_sentiment_legend_sits_above_the_bar_not_over_the_x_axis():
    fig = sentiment_figure({"positive": 0.6, "neutral": 0.3, "negative": 0.1})
    assert _above_plot(fig)
    assert fig.layout.margin.t >= 40  # room for the legend above the plot area
    assert fig.layout.legend.traceorder == "normal"  # reads positive, neutral, negative like the bar


def test_k_advisor_legend_and_axis_title_do_not_share_a_place(analysis):
    fig = k_advice_figure(analysis.k_advice, ["silhouette", "stability", "davies_bouldin"])
    assert _above_plot(fig)  # the x-axis title "K" is below the plot, the legend above it
    assert fig.layout.xaxis.title.text == "K"
    marker = fig.layout.annotations[0]  # "K = n" placed at the bottom, away from the legend
    assert marker.text.startswith("K = ") and marker.yanchor == "bottom"
    assert [trace.name for trace in fig.data] == ["Silhouette", "Stability", "Davies-Bouldin (flipped)"]


def test_k_advisor_puts_the_best_value_of_every_metric_at_one(analysis):
    table = analysis.k_advice.table.sort_values("k")
    fig = k_advice_figure(analysis.k_advice, ["silhouette", "davies_bouldin"])
    by_name = {trace.name: list(trace.y) for trace in fig.data}
    best_db = int(table["davies_bouldin"].to_numpy().argmin())  # lower Davies-Bouldin is better
    assert by_name["Davies-Bouldin (flipped)"][best_db] == 1.0
    assert by_name["Silhouette"][int(table["silhouette"].to_numpy().argmax())] == 1.0


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour: distances here match how different two colours look."""
    rgb = np.array(pc.hex_to_rgb(hex_colour), dtype=float) / 255
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    f = np.cbrt(np.maximum(xyz / np.array([0.95047, 1.0, 1.08883]), 0.008856**1))
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest(palette) -> float:
    return min(float(np.linalg.norm(_lab(a) - _lab(b))) for a, b in combinations(palette, 2))


def test_attribute_values_get_distinct_hues(analysis):
    fig = map_figure(analysis, names={}, rows=np.arange(len(analysis.profiles)), color_by="country")
    colours = [trace.marker.color for trace in fig.data]
    assert sorted(trace.name for trace in fig.data) == ["CN", "FR", "UK"]
    assert len(set(colours)) == len(colours)
    # all 12 hues the map uses are far apart (Kelly's list had a purple and a violet at 15, two blues)
    assert len(ATTRIBUTE_PALETTE) >= 12 and _closest(ATTRIBUTE_PALETTE[:12]) > 30
    assert min(np.linalg.norm(_lab(c) - _lab(OTHER_COLOR)) for c in ATTRIBUTE_PALETTE) > 30


def test_first_segments_do_not_get_two_blues():
    assert _closest(PALETTE[:6]) > 30  # was 26 at five segments: #0072B2 and #56B4E9
    assert OTHER_COLOR not in PALETTE


def test_numeric_colourings_have_a_titled_colour_bar(analysis):
    for colour_by, title in (("confidence", "Confidence"), ("events", "Events")):
        fig = map_figure(analysis, names={}, rows=np.arange(len(analysis.profiles)), color_by=colour_by,
                         value_title=title)  # fmt: skip
        marker = fig.data[0].marker
        assert marker.showscale and marker.colorbar.title.text == title


def test_member_ids_sort_as_numbers():
    ids = np.array(["149", "15", "2", "u10", "u2", "150"])
    assert [ids[i] for i in natural_order(ids)] == ["2", "15", "149", "150", "u2", "u10"]


def test_profiles_member_grid_lists_ids_in_natural_order(seeded, analysis):
    ids = analysis.profiles.user_ids
    ids[:] = [str((i * 37) % 211 + 1) for i in range(len(ids))]  # unpadded: text order would put 15 after 149
    at = seeded.run().switch_page("app_pages/profiles.py").run()
    no_exceptions(at)
    first = analysis.segments[0]
    grids = [
        d.value for d in at.dataframe if "why (top items)" in d.value.columns and len(d.value) == first.size
    ]
    shown = [int(u) for u in grids[0]["user"]]
    assert shown == sorted(shown) and shown != sorted(shown, key=str)


def test_segment_recommendations_carry_a_reason(seeded):
    at = seeded.run().switch_page("app_pages/recommend.py").run()
    next(r for r in at.radio if r.label == "Recommend for").set_value("a segment").run()
    no_exceptions(at)
    frame = next(d.value for d in at.dataframe if "members" in d.value.columns)
    reasons = [c for c in frame.columns if "reason" in str(c).lower()]
    assert reasons and frame[reasons[0]].astype(str).str.strip().ne("").all()


def test_empty_data_page_does_not_send_the_user_to_the_data_page(app):
    at = app.run()
    no_exceptions(at)
    shown = " ".join(i.value for i in at.info)
    assert "begin" in shown and "Data page" not in shown


def test_segment_table_gives_keywords_a_wide_column(seeded, analysis):
    import json

    at = seeded.run().switch_page("app_pages/segments.py").run()
    no_exceptions(at)
    table = next(d for d in at.dataframe if "keywords" in d.value.columns)
    config = json.loads(table.proto.columns)
    assert int(config["keywords"]["width"]) >= 600  # six keywords fit without being cut off
    first = table.value["keywords"].iloc[0]
    assert first.count(",") == min(len(analysis.segments[0].keywords), 6) - 1


def test_count_bars_have_whole_number_ticks():
    from ui.charts import bars

    fig = bars(
        ["duplicate", "missing_text", "missing_user"], [1.0, 1.0, 1.0], colors="#D55E00", value_format=",.0f"
    )
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.xaxis.dtick == 1
    shares = bars(["UK"], [0.4], colors="#0072B2", value_format=".0%")
    assert shares.layout.xaxis.dtick is None
