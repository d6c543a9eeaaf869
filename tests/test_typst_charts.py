"""Charts typeset by typst (peerlib.reporting.typst_charts): the PDF pack's charts and the
cross-site PNG/SVG figures. Geometry is checked on the data typst draws; what a reader sees
is checked by reading the same document back as PDF text (pypdf)."""
from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from peerlib.reporting.typst_charts import (happening_chart_data, importance_chart_data,
                                            ipa_chart_data, render_chart, save_chart)


def _pdf_text(chart, kind, **kwargs) -> str:
    reader = PdfReader(io.BytesIO(render_chart(chart, kind, fmt="pdf", **kwargs)))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_happening_chart_data_places_each_answer_on_its_side_and_draws_no_hidden_count():
    """The typst chart's geometry, by hand: No 40% runs from -40 to 0 on the -100..100 axis
    (fractions 0.3 to 0.5), Partly 10% then Yes 30% from 0 to the right; a count the policy
    does not show (NaN percent) has no segment; a hidden group is a row of text only."""
    rows = pd.DataFrame([
        {"label": "2.1 Role", "bar": "This site (n = 10)", "hidden": False, "n_asked": "10",
         "No %": 40.0, "Partly %": 10.0, "Yes %": 30.0, "Don't know %": float("nan"),
         "Not relevant %": 0.0, "Missing %": 20.0},
        {"label": "2.1 Role", "bar": "Small group (n<5)", "hidden": True, "n_asked": "n<5",
         "No %": float("nan"), "Partly %": float("nan"), "Yes %": float("nan"),
         "Don't know %": float("nan"), "Not relevant %": float("nan"),
         "Missing %": float("nan")},
    ])
    chart = happening_chart_data(rows)
    shown, hidden = chart["rows"]
    assert shown["label"] == "2.1 Role · This site (n = 10)" and shown["hidden"] == ""
    no, partly, yes = shown["main"]
    assert (no["x"], no["w"], no["text"]) == (0.3, 0.2, "40%")
    assert (partly["x"], partly["w"], partly["text"]) == (0.5, 0.05, "10%")
    assert (yes["x"], yes["w"], yes["text"]) == (0.55, 0.15, "30%")
    assert [s["fill"] for s in shown["side"]] == ["#d9d9d9"]  # Missing only: no NaN bar
    assert shown["side"][0]["w"] == 20 / 50  # side axis 0..50
    assert hidden["main"] == [] and hidden["side"] == []
    assert hidden["hidden"] == "n<5: not shown"
    assert [t["text"] for t in chart["main_ticks"]] == ["100%", "50%", "0", "50%", "100%"]
    assert [entry["text"] for entry in chart["legend"]] == ["Yes", "Partly", "No", "Missing"]


def test_ipa_chart_data_draws_no_point_for_a_hidden_mean():
    ipa = pd.DataFrame({"item_id": ["2.1", "2.2"], "performance": [50.0, 80.0],
                        "importance": [2.5, float("nan")],
                        "performance_reference": [60.0, 60.0],
                        "importance_reference": [3.0, 3.0]})
    chart = ipa_chart_data(ipa)
    assert [p["text"] for p in chart["points"]] == ["2.1"]
    point = chart["points"][0]
    assert point["x"] == round(52 / 104, 6) and point["y"] == round(1.6 / 3.2, 6)
    assert chart["x_ref"] == round(62 / 104, 6) and chart["y_ref"] == round(2.1 / 3.2, 6)
    assert ipa_chart_data(ipa.iloc[0:0])["x_ref"] is None  # no points, no average lines


def _importance() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": ["2.1", "2.1", "2.1", "2.2", "2.2"],
        "group": ["All", "NHS", "Voluntary", "All", "NHS"],
        "mean": [3.2, 3.4, float("nan"), 2.0, 1.5],
        "n": ["30", "20", "<5", "29", "19"],
        "mean_text": ["3.2", "3.4", "", "2.0", "1.5"],
        "suppressed": [False, False, True, False, False],
    })


def test_importance_chart_data_marks_a_hidden_mean_without_a_value():
    chart = importance_chart_data(_importance(), item_labels={"2.1": "Role", "2.2": "Pay"})
    first, second = chart["items"]
    assert first["label"] == "2.1 Role" and second["label"] == "2.2 Pay"
    all_, nhs, vol = first["bars"]
    assert (all_["w"], all_["text"]) == (0.72, "3.2")  # 3.2 / 4 of the 90% the axis spans
    assert (nhs["w"], nhs["text"]) == (0.765, "3.4")
    assert vol == {"group": "Voluntary", "fill": vol["fill"], "hidden": True, "w": 0.0,
                   "text": "not shown"}
    assert [b["group"] for b in second["bars"]] == ["All", "NHS"]  # no row, no bar
    # Voluntary has no shown mean, so no bar of its colour: its legend entry says so
    assert [g["text"] for g in chart["legend"]] == ["All", "NHS", "Voluntary: not shown"]
    assert len({g["fill"] for g in chart["legend"]}) == 3


def test_a_saved_chart_is_marked_synthetic_the_same_on_every_run(tmp_path):
    chart = importance_chart_data(_importance())
    png, svg = save_chart(chart, tmp_path / "a", "imp", kind="importance", title="Importance",
                          synthetic=True)
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
    assert "<title>Importance - SYNTHETIC DEMO DATA" in svg.read_text(encoding="utf-8")
    again = save_chart(chart, tmp_path / "b", "imp", kind="importance", title="Importance",
                       synthetic=True)
    assert [p.read_bytes() for p in again] == [png.read_bytes(), svg.read_bytes()]
    text = _pdf_text(chart, "importance", title="Importance", synthetic=True)
    assert "SYNTHETIC DEMO DATA" in text and "not shown" in text and "3.4" in text
    assert "SYNTHETIC" not in _pdf_text(chart, "importance", title="Importance")


@pytest.mark.parametrize("kind", ["happening", "ipa"])
def test_chart_text_from_data_is_printed_never_run_as_markup(kind):
    evil = '#panic("boom") *bold* $x$ <lab>'
    rows = pd.DataFrame([{"label": evil, "bar": "All (n = 9)", "hidden": False,
                          "n_asked": "9", "Yes %": 50.0, "No %": 50.0}])
    ipa = pd.DataFrame({"item_id": [evil], "performance": [40.0], "importance": [3.0],
                        "performance_reference": [50.0], "importance_reference": [3.0]})
    chart = happening_chart_data(rows) if kind == "happening" else ipa_chart_data(ipa)
    text = _pdf_text(chart, kind, title=evil)
    assert text.count('#panic("boom")') == 2 and "*bold*" in text


def test_an_unknown_chart_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="chart kind"):
        save_chart({}, tmp_path, "x", kind="pie")


def test_a_percentage_is_printed_only_where_it_fits_inside_its_segment():
    """A figure half outside its bar loses digits on the white page ("10%" read as "0%"):
    on a narrow chart the 9% segment carries no text, the 60% one does."""
    rows = pd.DataFrame([{"label": "2.1 Role", "bar": "All (n = 40)", "hidden": False,
                          "n_asked": "40", "No %": 9.0, "Yes %": 60.0, "Partly %": 31.0}])
    chart = happening_chart_data(rows)
    narrow = _pdf_text(chart, "happening", width=90)
    assert "60%" in narrow and not re.search(r"(?<!\d)9%", narrow)
    assert re.search(r"(?<!\d)9%", _pdf_text(chart, "happening", width=300))


def test_long_statement_labels_name_the_statement_by_its_number_as_the_report_does():
    label = "2.1 " + "A statement label far longer than any axis can hold " * 2
    rows = pd.DataFrame([{"item_id": "2.1", "label": label, "bar": "All (n = 40)",
                          "hidden": False, "n_asked": "40", "Yes %": 100.0}])
    assert happening_chart_data(rows)["rows"][0]["label"] == "2.1 · All (n = 40)"
    short = rows.assign(label="2.1 Role")
    assert happening_chart_data(short)["rows"][0]["label"] == "2.1 Role · All (n = 40)"


def test_two_near_points_are_labelled_on_the_sides_away_from_each_other():
    """A tester read 2.3's label against 2.5's dot (2.5 at 85.7/3.57 labelled below, 2.3 at
    83.3/3.43 above): each label now sits on its own point's far side."""
    from peerlib.reporting.figures import _label_spots

    assert _label_spots([83.3, 85.7, 30.0], [3.43, 3.57, 3.0]) == [
        "bottom center", "top center", "top center"]
    assert _label_spots([50, 55], [3.0, 3.01]) == ["middle left", "middle right"]
    assert _label_spots([50, 50], [3.0, 3.1]) == ["bottom center", "top center"]
    assert _label_spots([50, 50], [3.0, 3.0]) == ["middle left", "middle right"]
