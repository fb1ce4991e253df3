"""The bias audit's arithmetic (NYC Local Law 144 method): pure functions, no I/O.

For a set of completed, scored sessions, each with the candidate's voluntary self-identification (or none):

* the **method**: the selection rate (share a person decided to advance) when every session in the set has a
  decision, else the **scoring rate** (share scoring strictly above the median overall score of the whole set);
* per category of sex, race/ethnicity and their intersections: the count, the rate, the **impact ratio** (the
  rate over the highest rate of the included categories of that table), flagged below `FLAG_BELOW` (the
  four-fifths rule);
* the **unknown** count of each table: no self-identification, or `decline` (for intersections: either unknown);
* categories holding fewer than `SMALL_CATEGORY_SHARE` of the sessions (all of them, unknown included) are
  left out of the impact ratios (LL144's optional small-category rule), and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from panelist.models.impact import (
    RACE_LABELS,
    SEX_LABELS,
    Dimension,
    ImpactCategory,
    ImpactReportOut,
    ImpactTable,
    RaceEthnicity,
    RateMethod,
    Sex,
)

SMALL_CATEGORY_SHARE = 0.02  # LL144 allows leaving out categories under 2% of the data used for the audit
FLAG_BELOW = 0.8  # the four-fifths rule
ADVANCE = "advance"
DIGITS = 4

SEXES = [s for s in Sex if s is not Sex.decline]
RACES = [r for r in RaceEthnicity if r is not RaceEthnicity.decline]


@dataclass(frozen=True)
class Scored:
    """One completed, scored session as the audit sees it: no identity, only what the figures need."""

    score: float
    decision: str | None = None
    sex: Sex | None = None
    race_ethnicity: RaceEthnicity | None = None


def method_of(records: Sequence[Scored]) -> RateMethod:
    if records and all(r.decision for r in records):
        return RateMethod.selection_rate
    return RateMethod.scoring_rate


def positives(records: Sequence[Scored], method: RateMethod) -> list[bool]:
    """Whether each session counts as selected: advanced, or scored above the set's median."""
    if method is RateMethod.selection_rate:
        return [r.decision == ADVANCE for r in records]
    cut = median(r.score for r in records) if records else 0.0
    return [r.score > cut for r in records]


def _known_sex(record: Scored) -> str | None:
    return record.sex.value if record.sex and record.sex is not Sex.decline else None


def _known_race(record: Scored) -> str | None:
    race = record.race_ethnicity
    return race.value if race and race is not RaceEthnicity.decline else None


def _key(dimension: Dimension, record: Scored) -> str | None:
    sex, race = _known_sex(record), _known_race(record)
    if dimension is Dimension.sex:
        return sex
    if dimension is Dimension.race_ethnicity:
        return race
    return f"{sex}+{race}" if sex and race else None


def _categories(dimension: Dimension) -> list[tuple[str, str]]:
    """Every category of a table, in a fixed order: (key, label)."""
    if dimension is Dimension.sex:
        return [(s.value, SEX_LABELS[s]) for s in SEXES]
    if dimension is Dimension.race_ethnicity:
        return [(r.value, RACE_LABELS[r]) for r in RACES]
    return [(f"{s.value}+{r.value}", f"{SEX_LABELS[s]}, {RACE_LABELS[r]}") for s in SEXES for r in RACES]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def impact_table(
    dimension: Dimension, records: Sequence[Scored], selected: Sequence[bool], *, small_share: float
) -> ImpactTable:
    total = len(records)
    counts: dict[str, int] = {}
    hits: dict[str, int] = {}
    unknown = 0
    for record, positive in zip(records, selected, strict=True):
        key = _key(dimension, record)
        if key is None:
            unknown += 1
            continue
        counts[key] = counts.get(key, 0) + 1
        hits[key] = hits.get(key, 0) + int(positive)
    categories = _categories(dimension)
    rates = {key: hits[key] / counts[key] for key, _ in categories if counts.get(key)}
    excluded = [key for key, _ in categories if 0 < counts.get(key, 0) < small_share * total]
    highest = max((rates[key] for key in rates if key not in excluded), default=0.0)
    rows = []
    for key, label in categories:
        rate = rates.get(key)
        ratio = None if key in excluded or rate is None or highest <= 0 else rate / highest
        rows.append(
            ImpactCategory(
                category=key,
                label=label,
                count=counts.get(key, 0),
                positive=hits.get(key, 0),
                rate=_rounded(rate),
                impact_ratio=_rounded(ratio),
                flagged=ratio is not None and ratio < FLAG_BELOW,
                excluded=key in excluded,
            )
        )
    return ImpactTable(dimension=dimension, categories=rows, unknown=unknown, excluded_categories=excluded)


def impact_report(
    records: Sequence[Scored],
    *,
    interview_id: str | None,
    period_from: date,
    period_to: date,
    generated_at: datetime,
    small_share: float = SMALL_CATEGORY_SHARE,
) -> ImpactReportOut:
    """The report of a set of completed, scored sessions (see the module's docstring)."""
    method = method_of(records)
    selected = positives(records, method)
    cut = median(r.score for r in records) if records else None
    tables = [impact_table(d, records, selected, small_share=small_share) for d in Dimension]
    notes = []
    if method is RateMethod.selection_rate:
        notes.append("Selection rates: every session in the set has a person's decision; advance counts as selected.")
    else:
        notes.append(
            "Scoring rates: the share of a category scoring above the median overall score of all sessions in the "
            "set (not every session has a person's decision)."
        )
    notes.append(
        f"Categories with fewer than {small_share:.0%} of the {len(records)} sessions are excluded from the impact "
        "ratios; their counts and rates are still shown."
    )
    for table in tables:
        shown = [c for c in table.categories if c.excluded]
        if shown:
            listed = ", ".join(f"{c.label} ({c.count})" for c in shown)
            notes.append(f"Excluded from the {table.dimension.value} impact ratios: {listed}.")
    notes.append("Unknown: sessions without a self-identification, or where the candidate declined to answer.")
    return ImpactReportOut(
        interview_id=interview_id,
        period_from=period_from,
        period_to=period_to,
        generated_at=generated_at,
        sessions=len(records),
        method=method,
        median_score=_rounded(cut),
        small_category_threshold=small_share,
        flag_threshold=FLAG_BELOW,
        notes=notes,
        tables=tables,
    )


CSV_HEADER = [
    "dimension",
    "category",
    "label",
    "count",
    "positive",
    "rate",
    "impact_ratio",
    "flagged",
    "excluded",
]


def csv_rows(report: ImpactReportOut) -> list[list[str]]:
    """The report as CSV rows, a header first; each table's unknown count as a row of its own."""

    def text(value: float | None) -> str:
        return "" if value is None else f"{value:.{DIGITS}f}"

    rows = [CSV_HEADER]
    for table in report.tables:
        for c in table.categories:
            rows.append(
                [
                    table.dimension.value,
                    c.category,
                    c.label,
                    str(c.count),
                    str(c.positive),
                    text(c.rate),
                    text(c.impact_ratio),
                    "yes" if c.flagged else "no",
                    "yes" if c.excluded else "no",
                ]
            )
        rows.append([table.dimension.value, "unknown", "Unknown", str(table.unknown), "", "", "", "no", "yes"])
    return rows
