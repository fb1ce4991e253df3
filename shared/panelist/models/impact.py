"""The bias audit (NYC Local Law 144 method): voluntary self-identification and the impact-ratio report."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, Field

from panelist.models.common import Input, Output, Timestamp


class Sex(StrEnum):
    female = "female"
    male = "male"
    decline = "decline"


class RaceEthnicity(StrEnum):
    """The EEO-1 race/ethnicity categories LL144 audits use."""

    hispanic_or_latino = "hispanic_or_latino"
    white = "white"
    black_or_african_american = "black_or_african_american"
    native_hawaiian_or_other_pacific_islander = "native_hawaiian_or_other_pacific_islander"
    asian = "asian"
    american_indian_or_alaska_native = "american_indian_or_alaska_native"
    two_or_more_races = "two_or_more_races"
    decline = "decline"


SEX_LABELS = {Sex.female: "Female", Sex.male: "Male", Sex.decline: "I prefer not to say"}
RACE_LABELS = {
    RaceEthnicity.hispanic_or_latino: "Hispanic or Latino",
    RaceEthnicity.white: "White",
    RaceEthnicity.black_or_african_american: "Black or African American",
    RaceEthnicity.native_hawaiian_or_other_pacific_islander: "Native Hawaiian or Other Pacific Islander",
    RaceEthnicity.asian: "Asian",
    RaceEthnicity.american_indian_or_alaska_native: "American Indian or Alaska Native",
    RaceEthnicity.two_or_more_races: "Two or More Races",
    RaceEthnicity.decline: "I prefer not to say",
}


class SelfIdentification(BaseModel):
    """A candidate's voluntary answers for one session; `decline` (or a missing answer) counts as unknown."""

    organization_id: str
    session_id: str
    sex: Sex | None = None
    race_ethnicity: RaceEthnicity | None = None
    source: str  # "candidate" (the done page's form) or "api:<key id>" (an ATS that collected it)
    recorded_at: Timestamp


class SelfIdentificationIn(Input):
    """Voluntary self-identification collected by an ATS; both fields optional (`decline` or absent: unknown)."""

    sex: Sex | None = Field(default=None, description="female, male or decline")
    race_ethnicity: RaceEthnicity | None = Field(
        default=None, description="An EEO-1 category (hispanic_or_latino, white, ...) or decline"
    )


class SelfIdentificationOut(Output):
    session_id: str
    recorded: bool = Field(description="Stored apart from the session; never shown to the scorer or in session views")
    recorded_at: Timestamp


# ------------------------------------------------------------------ the report


class RateMethod(StrEnum):
    scoring_rate = "scoring_rate"  # share scoring above the median overall score of the set
    selection_rate = "selection_rate"  # share a person decided to advance (every session has a decision)


class Dimension(StrEnum):
    sex = "sex"
    race_ethnicity = "race_ethnicity"
    intersectional = "intersectional"  # sex x race/ethnicity


class ImpactCategory(Output):
    category: str = Field(description="The category key, e.g. female, asian, or female+asian for intersections")
    label: str
    count: int = Field(description="Completed, scored sessions in the category")
    positive: int = Field(description="Sessions above the median score (scoring rate) or advanced (selection rate)")
    rate: float | None = Field(description="positive / count; null for an empty category")
    impact_ratio: float | None = Field(
        description="rate / the highest rate of the included categories; null when excluded or no rate is above 0"
    )
    flagged: bool = Field(description="impact_ratio below 0.8 (the four-fifths rule)")
    excluded: bool = Field(
        description="Left out of the impact ratios: present, but under the small-category share of the sessions"
    )


class ImpactTable(Output):
    dimension: Dimension
    categories: list[ImpactCategory]
    unknown: int = Field(description="Sessions without the category: no self-identification, or declined")
    excluded_categories: list[str] = Field(description="Categories left out of the impact ratios (small categories)")


class ImpactReportOut(Output):
    interview_id: str | None = Field(description="The interview audited; null: every interview")
    period_from: date = Field(description="First day (UTC) of the window, by completion")
    period_to: date = Field(description="Last day (UTC) of the window, included")
    generated_at: Timestamp
    sessions: int = Field(description="Completed, scored sessions in the window")
    method: RateMethod = Field(
        description="selection_rate when every session has a person's decision, else scoring_rate"
    )
    median_score: float | None = Field(description="The median overall score of the set (the scoring-rate cutoff)")
    small_category_threshold: float = Field(
        description="Share of the sessions below which a category is excluded from the impact ratios"
    )
    flag_threshold: float = Field(description="Impact ratios below this are flagged (0.8, the four-fifths rule)")
    notes: list[str] = Field(description="How the figures were made, and what was excluded")
    tables: list[ImpactTable]
