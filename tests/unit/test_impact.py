"""The bias audit's arithmetic on constructed data sets whose answers were worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from panelist.compliance import impact
from panelist.compliance.impact import Scored
from panelist.models.impact import Dimension, ImpactReportOut, RaceEthnicity, RateMethod, Sex

F, M, D = Sex.female, Sex.male, Sex.decline
WHITE, ASIAN, BLACK = RaceEthnicity.white, RaceEthnicity.asian, RaceEthnicity.black_or_african_american


def _many(n: int, score: float, sex: Sex | None, race: RaceEthnicity | None, decision: str | None = None):
    return [Scored(score=score, decision=decision, sex=sex, race_ethnicity=race) for _ in range(n)]


# 60 sessions: 10 score below 50, 25 exactly 50, 25 above, so the median (30th and 31st) is 50 and the ties at it
# do not count as above. 2% of 60 is 1.2: the one Black candidate (rate 1.0, the highest) is excluded.
SCORING = [
    *_many(12, 70, F, WHITE),
    *_many(8, 50, F, WHITE),  # female + white: 20, 12 above
    *_many(6, 80, M, WHITE),
    *_many(14, 50, M, WHITE),  # male + white: 20, 6 above
    *_many(5, 60, F, ASIAN),
    *_many(5, 40, F, ASIAN),  # female + asian: 10, 5 above
    *_many(1, 90, M, ASIAN),
    *_many(4, 30, M, ASIAN),  # male + asian: 5, 1 above
    *_many(1, 95, M, BLACK),  # male + black: 1, 1 above (small category)
    *_many(3, 50, None, None),  # no self-identification
    *_many(1, 20, D, WHITE),  # declined sex, white
]


def _report(records, **kwargs) -> ImpactReportOut:
    return impact.impact_report(
        records,
        interview_id=None,
        period_from=date(2026, 1, 1),
        period_to=date(2026, 12, 31),
        generated_at=datetime(2026, 12, 31, tzinfo=UTC),
        **kwargs,
    )


def _rows(report: ImpactReportOut, dimension: Dimension) -> dict[str, tuple]:
    table = next(t for t in report.tables if t.dimension is dimension)
    return {c.category: (c.count, c.positive, c.rate, c.impact_ratio, c.flagged, c.excluded) for c in table.categories}


def _table(report: ImpactReportOut, dimension: Dimension):
    return next(t for t in report.tables if t.dimension is dimension)


def test_scoring_rates_are_shares_strictly_above_the_median_with_ties_at_it_not_counted():
    report = _report(SCORING)
    assert report.sessions == 60
    assert report.method is RateMethod.scoring_rate
    assert report.median_score == 50
    sex = _rows(report, Dimension.sex)
    assert sex["female"] == (30, 17, pytest.approx(0.5667), 1.0, False, False)  # 17/30
    assert sex["male"] == (26, 8, pytest.approx(0.3077), pytest.approx(0.5430), True, False)  # 8/26 ÷ 17/30
    assert _table(report, Dimension.sex).unknown == 4  # 3 without, 1 declined


def test_a_category_under_two_percent_is_excluded_from_the_ratios_even_with_the_highest_rate():
    report = _report(SCORING)
    race = _rows(report, Dimension.race_ethnicity)
    assert race["white"] == (41, 18, pytest.approx(0.4390), 1.0, False, False)  # the highest included rate
    assert race["asian"] == (15, 6, 0.4, pytest.approx(0.9111), False, False)  # 0.4 ÷ 18/41
    assert race["black_or_african_american"] == (1, 1, 1.0, None, False, True)
    assert race["hispanic_or_latino"] == (0, 0, None, None, False, False)
    table = _table(report, Dimension.race_ethnicity)
    assert table.unknown == 3
    assert table.excluded_categories == ["black_or_african_american"]
    assert any("Black or African American (1)" in note for note in report.notes)
    assert impact.SMALL_CATEGORY_SHARE == 0.02


def test_intersections_count_only_sessions_with_both_categories_known():
    report = _report(SCORING)
    both = _rows(report, Dimension.intersectional)
    assert both["female+white"] == (20, 12, 0.6, 1.0, False, False)
    assert both["male+white"] == (20, 6, 0.3, 0.5, True, False)
    assert both["female+asian"] == (10, 5, 0.5, pytest.approx(0.8333), False, False)
    assert both["male+asian"] == (5, 1, 0.2, pytest.approx(0.3333), True, False)
    assert both["male+black_or_african_american"][5] is True
    assert len(both) == 14  # 2 sexes x 7 races
    assert _table(report, Dimension.intersectional).unknown == 4


def test_selection_rates_when_every_session_has_a_decision():
    records = [
        *_many(2, 95, F, None, "advance"),
        *_many(1, 90, F, None, "reject"),
        *_many(1, 90, F, None, "hold"),  # female: 2 of 4 advanced, whatever their high scores
        *_many(5, 10, M, None, "advance"),
        *_many(1, 10, M, None, "reject"),  # male: 5 of 6
    ]
    report = _report(records)
    assert report.method is RateMethod.selection_rate
    sex = _rows(report, Dimension.sex)
    assert sex["male"] == (6, 5, pytest.approx(0.8333), 1.0, False, False)
    assert sex["female"] == (4, 2, 0.5, 0.6, True, False)  # 0.5 ÷ 5/6
    assert _table(report, Dimension.race_ethnicity).unknown == 10
    assert report.notes[0].startswith("Selection rates")


def test_one_session_without_a_decision_means_scoring_rates():
    records = [*_many(3, 80, F, None, "advance"), *_many(1, 20, M, None)]
    report = _report(records)
    assert report.method is RateMethod.scoring_rate
    assert report.median_score == 80  # 20, 80, 80, 80
    assert _rows(report, Dimension.sex)["female"][1] == 0  # none above the median: the ties stay out


def test_an_even_count_median_is_the_mean_of_the_middle_two():
    records = [Scored(10, sex=F), Scored(20, sex=F), Scored(30, sex=M), Scored(40, sex=M)]
    report = _report(records)
    assert report.median_score == 25
    assert _rows(report, Dimension.sex)["male"][:3] == (2, 2, 1.0)
    assert _rows(report, Dimension.sex)["female"][:4] == (2, 0, 0.0, 0.0)


def test_no_rate_above_zero_leaves_every_ratio_empty_and_nothing_flagged():
    report = _report(_many(4, 50, F, WHITE))
    female = _rows(report, Dimension.sex)["female"]
    assert female == (4, 0, 0.0, None, False, False)


def test_an_empty_set():
    report = _report([])
    assert (report.sessions, report.median_score, report.method) == (0, None, RateMethod.scoring_rate)
    assert all(c.count == 0 and c.rate is None for t in report.tables for c in t.categories)


def test_the_threshold_is_a_parameter():
    # 5% of 60 is 3: the male + asian (5) stay in, the one Black candidate and nobody else are out.
    report = _report(SCORING, small_share=0.05)
    assert _table(report, Dimension.race_ethnicity).excluded_categories == ["black_or_african_american"]
    assert report.small_category_threshold == 0.05
    report = _report(SCORING, small_share=0.1)  # 6: male + asian (5) goes too
    assert "male+asian" in _table(report, Dimension.intersectional).excluded_categories


def test_csv_rows_have_a_header_and_an_unknown_row_per_table():
    rows = impact.csv_rows(_report(SCORING))
    assert rows[0] == impact.CSV_HEADER
    assert len(rows) == 1 + (2 + 1) + (7 + 1) + (14 + 1)
    assert ["sex", "male", "Male", "26", "8", "0.3077", "0.5430", "yes", "no"] in rows
    assert ["race_ethnicity", "unknown", "Unknown", "3", "", "", "", "no", "yes"] in rows
