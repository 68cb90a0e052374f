"""Chart geometry: the band under the plot is stacked from known heights, notes are wrapped,
and runs of one day get distinct ticks (pure: no database, no browser)."""

from __future__ import annotations

import datetime as dt

import pytest

from adoption.dashboard import chart_layout as cl
from adoption.dashboard.wording import TICK_FORMATS

JST = dt.timezone(dt.timedelta(hours=9))


def test_the_note_sits_under_the_legend_which_sits_under_the_axis_title():
    bottom = cl.Bottom(tick_lines=2, axis_title=True, legend_rows=3, note_lines=2)
    placed = cl.place(bottom, plot_height=300, per_row=2)
    height = placed.layout["height"]
    assert height == cl.TOP + 300 + bottom.height
    assert placed.layout["margin"]["b"] == bottom.height
    legend_top_px = (1 - placed.layout["legend"]["y"]) * height  # from the figure's top
    assert legend_top_px == pytest.approx(cl.TOP + 300 + bottom.ticks + bottom.title)
    note_top_px = cl.TOP + 300 - placed.note_y * 300
    assert note_top_px == pytest.approx(legend_top_px + bottom.legend)
    # Nothing is left under the note.
    assert note_top_px + bottom.note + cl.BOTTOM_PAD == pytest.approx(height)


def test_a_chart_without_legend_has_no_band_for_one():
    placed = cl.place(cl.Bottom(1, True, 0, 1), plot_height=200, per_row=3)
    assert "legend" not in placed.layout
    assert placed.layout["height"] == cl.TOP + 200 + cl.Bottom(1, True, 0, 1).height


def test_wrap_keeps_latin_words_whole_and_punctuation_off_line_starts():
    english = (
        "Denominator: domains in the registry on that date that were measured. " * 3
    )
    lines = cl.wrap(english, limit=30)
    assert all(cl.width(line) <= 30 for line in lines)
    assert " ".join(lines) == english.strip()
    japanese = "分母：その時点で登録されていて測定できたドメイン。" * 4
    lines = cl.wrap(japanese, limit=25)
    assert "".join(lines) == japanese
    assert not any(line.startswith(("。", "、")) for line in lines)
    assert cl.wrap("a\nb") == ["a", "b"]


def test_legend_entries_per_row_follow_the_longest_label():
    assert cl.legend_per_row(["SPF", "DKIM"]) == 3
    assert cl.legend_per_row(["日本プルーフポイント：日経225企業の DMARC 導入率"]) == 2
    assert cl.legend_rows(7, 3) == 3 and cl.legend_rows(0, 3) == 0


def test_three_runs_of_one_day_get_three_different_ticks():
    day = dt.datetime(2026, 1, 5, 10, 0, tzinfo=JST)
    slots = [
        cl.Slot("a", day, run_id=1),
        cl.Slot("b", day + dt.timedelta(hours=2), run_id=2),
        cl.Slot("c", day + dt.timedelta(hours=2), run_id=3),  # the same minute as run 2
        cl.Slot("d", day + dt.timedelta(days=1), run_id=4),
        cl.Slot("e", day=dt.date(2011, 8, 1), month_only=True),
    ]
    labels = cl.slot_labels(slots, TICK_FORMATS["ja"])
    assert labels == [
        "1月5日<br>10:00<br>2026年",
        "1月5日<br>12:00<br>2026年<br>#2",
        "1月5日<br>12:00<br>2026年<br>#3",
        "1月6日<br>2026年",
        "8月<br>2011年",
    ]
    assert len(set(labels)) == len(labels)
