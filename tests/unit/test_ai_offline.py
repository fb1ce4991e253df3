"""The offline interview model (panelist.interviews.ai.offline), its shipped data, and the ai contract."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from panelist.core.errors import ConfigurationError
from panelist.interviews import ai
from panelist.interviews.ai import offline
from panelist.interviews.ai.offline import OfflineModel, phrase_key, skills_in
from panelist.models.interviews import Seniority, Skill

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "shared" / "panelist" / "interviews" / "ai" / "data"

SEED_ROLE = "Senior Python Developer"
SEED_DESCRIPTION = (
    "We are looking for a Senior Python Developer with 5+ years of experience in Django, Flask, and FastAPI. "
    "The candidate should have strong knowledge of databases, REST APIs, and cloud technologies. "
    "Experience with Docker, Kubernetes, and CI/CD pipelines is preferred."
)
SEED_SKILLS = {
    "Python",
    "Django",
    "Flask",
    "FastAPI",
    "Databases",
    "REST APIs",
    "Cloud",
    "Docker",
    "Kubernetes",
    "CI/CD",
}


@pytest.fixture(scope="module")
def model() -> OfflineModel:
    return OfflineModel()


def names(analysis: ai.JobAnalysis) -> list[str]:
    return [skill.name for skill in analysis.skills]


def weight(analysis: ai.JobAnalysis, name: str) -> float:
    return next(skill.weight for skill in analysis.skills if skill.name == name)


# --- Job analysis -----------------------------------------------------------------------------------------


def test_the_issue_example_finds_every_skill_and_the_seniority(model):
    analysis = model.analyse_job(SEED_ROLE, SEED_DESCRIPTION)

    assert analysis.role == SEED_ROLE
    assert analysis.seniority is Seniority.senior
    assert set(names(analysis)) == SEED_SKILLS
    assert names(analysis)[0] == "Python"  # the title's skill weighs most
    assert round(sum(skill.weight for skill in analysis.skills), 2) == 1.0
    strong = min(weight(analysis, name) for name in ("Databases", "REST APIs", "Cloud"))
    preferred = max(weight(analysis, name) for name in ("Docker", "Kubernetes", "CI/CD"))
    assert strong > preferred
    assert all(skill.category != "technical" for skill in analysis.skills)  # taxonomy categories
    assert {skill.name: skill.category for skill in analysis.skills}["Kubernetes"] == "devops"


@pytest.mark.parametrize(
    ("text", "skill"),
    [
        ("We run everything on k8s", "Kubernetes"),
        ("Postgres experience", "PostgreSQL"),
        ("comfortable with psql", "PostgreSQL"),
        ("backend services in golang", "Go"),
        ("JS and HTML", "JavaScript"),
        ("deep knowledge of amazon web services", "AWS"),
        ("build CI/CD pipelines", "CI/CD"),
        ("continuous integration", "CI/CD"),
        ("RESTful services", "REST APIs"),
        ("REST APIs", "REST APIs"),
        ("cloud technologies", "Cloud"),
        ("relational databases", "Databases"),
        ("ReactJS or Vue", "React"),
        ("Node.js services", "Node.js"),
        ("ASP.NET Core", "ASP.NET"),
        ("front-end work", "Frontend development"),
        ("front end work", "Frontend development"),
        ("sklearn pipelines", "scikit-learn"),
        ("GCP and BigQuery", "Google Cloud"),
        ("ML models in production", "Machine learning"),
        ("an eye for UI/UX", "UX design"),
        ("A/B testing", "A/B testing"),
        ("MS Excel", "Microsoft Excel"),
        ("churn prevention", "Customer retention"),
        ("EMR charting", "Electronic health records"),
    ],
)
def test_aliases_map_to_canonical_skills(text, skill):
    assert skill in skills_in(text)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("good communication skills", {"Communication"}, {"Go"}),
        ("we write Go and Rust", {"Go", "Rust"}, set()),
        ("ready to go the extra mile", set(), {"Go"}),
        ("our R&D team", set(), {"R"}),
        ("statistics in R and Python", {"R", "Python", "Statistics"}, set()),
        ("CI pipelines", {"CI/CD"}, {"C"}),
        ("present to C-level executives", set(), {"C"}),
        ("C, C++ and C#", {"C", "C++", "C#"}, set()),
        ("C/C++ firmware", {"C", "C++"}, set()),
        ("JavaScript and TypeScript", {"JavaScript", "TypeScript"}, {"Java"}),
        ("Java and JavaScript", {"Java", "JavaScript"}, set()),
        ("Node.js", {"Node.js"}, {"JavaScript"}),
        ("ASP.NET MVC", {"ASP.NET"}, {".NET"}),
        (".NET 8", {".NET"}, set()),
        ("our go-to-market plan", {"Go-to-market strategy"}, {"Go"}),
        ("you excel at ownership", set(), {"Microsoft Excel"}),
        ("Spring Boot services", {"Spring Boot"}, {"Spring"}),
        ("react quickly to incidents", set(), {"React"}),
        ("a safe environment", set(), {"Agile"}),
        ("good writing", set(), {"Go"}),
    ],
)
def test_matching_is_by_whole_words_and_phrases(text, present, absent):
    found = set(skills_in(text))
    assert present <= found
    assert not absent & found


def test_role_dependent_terms_resolve_by_role_family():
    assert "Customer onboarding" in skills_in("own onboarding", role="Customer Success Manager")
    assert "Employee onboarding" in skills_in("own onboarding", role="HR Business Partner")
    assert "Candidate sourcing" in skills_in("sourcing", role="Technical Recruiter")
    assert "Patient triage" in skills_in("triage", role="Registered Nurse")
    assert "Pipeline management" in skills_in("build pipeline", role="Account Executive")
    assert skills_in("build pipeline", role="Backend Engineer") == []


def test_a_department_is_not_a_skill(model):
    posting = "Work with the sales team and marketing department. Python, SQL, Git."
    analysis = model.analyse_job("Backend Engineer", posting)
    assert "Sales" not in names(analysis)
    assert "Marketing" not in names(analysis)


@pytest.mark.parametrize(
    ("role", "description", "expected"),
    [
        ("Senior Python Developer", "", Seniority.senior),
        ("Sr. Data Engineer", "", Seniority.senior),
        ("Lead Engineer", "", Seniority.lead),
        ("Principal Software Engineer", "", Seniority.lead),
        ("Staff Engineer", "", Seniority.lead),
        ("Engineering Manager", "", Seniority.lead),
        ("Head of Marketing", "", Seniority.lead),
        ("Junior Data Analyst", "", Seniority.junior),
        ("Graduate Software Engineer", "", Seniority.junior),
        ("Software Engineering Intern", "", Seniority.junior),
        ("Software Engineer II", "", Seniority.mid),
        ("Software Engineer III", "", Seniority.senior),
        ("Lead Generation Specialist", "", Seniority.mid),
        ("Staff Nurse", "", Seniority.mid),
        ("Software Engineer", "You have 5+ years of experience with Python.", Seniority.senior),
        ("Software Engineer", "2-3 years of experience", Seniority.mid),
        ("Backend Developer", "At least ten years of experience", Seniority.lead),
        ("Backend Developer", "0-1 years of experience", Seniority.junior),
        ("Senior Backend Developer", "2 years of experience", Seniority.senior),  # the title wins
        ("Data Analyst", "An entry-level role for a recent graduate.", Seniority.junior),
        ("Sales Manager", "You will manage a team of eight direct reports.", Seniority.lead),
        ("Developer", "Our company was founded 20 years ago.", Seniority.mid),
        ("Developer", "", Seniority.mid),
    ],
)
def test_seniority_from_title_then_years_then_wording(model, role, description, expected):
    assert model.analyse_job(role, description).seniority is expected


POSTINGS = [
    (SEED_ROLE, SEED_DESCRIPTION),
    ("Data Analyst", "Requirements:\n- SQL\n- Excel\n\nNice to have:\n- Python\n- Tableau"),
    ("Customer Success Manager", "Own onboarding, renewals and QBRs for enterprise accounts. Salesforce a plus."),
    (
        "Full Stack Engineer",
        "React, TypeScript, Node.js, PostgreSQL, Redis, AWS, Docker, Kubernetes, Terraform, GraphQL, Jest, "
        "Cypress, Kafka, Elasticsearch, Python and Go. Strong communication and mentoring.",
    ),
    ("Registered Nurse", "Patient care, medication administration, BLS and ACLS, Epic EHR."),
    ("Barista", ""),
    ("", ""),
]


@pytest.mark.parametrize(("role", "description"), POSTINGS)
def test_weights_sum_to_one_most_important_first(model, role, description):
    analysis = model.analyse_job(role, description)
    weights = [skill.weight for skill in analysis.skills]

    assert ai.MIN_SKILLS <= len(weights) <= ai.MAX_SKILLS
    assert round(sum(weights), 2) == 1.0
    assert weights == sorted(weights, reverse=True)
    assert all(w >= 0.01 and round(w, 2) == w for w in weights)
    assert len(set(names(analysis))) == len(weights)


def test_cue_words_raise_and_lower_weights(model):
    analysis = model.analyse_job("Engineer", "Python is required. Experience with Go is a plus. Familiarity with Rust.")
    assert weight(analysis, "Python") > weight(analysis, "Go")
    assert weight(analysis, "Python") > weight(analysis, "Rust")
    listed = model.analyse_job("Data Analyst", POSTINGS[1][1])
    assert min(weight(listed, "SQL"), weight(listed, "Microsoft Excel")) > max(
        weight(listed, "Python"), weight(listed, "Tableau")
    )
    must = model.analyse_job("Engineer", "Must have Java and SQL, and ideally Kotlin.")
    assert weight(must, "SQL") > weight(must, "Kotlin")


def test_repeated_mentions_count_but_diminish(model):
    analysis = model.analyse_job("Engineer", "Python. Python. Python. Java. Go.")
    assert names(analysis)[0] == "Python"
    assert weight(analysis, "Python") < 3 * weight(analysis, "Java")


def test_at_most_twelve_skills(model):
    analysis = model.analyse_job("Full Stack Engineer", POSTINGS[3][1])
    assert len(analysis.skills) == ai.MAX_SKILLS


def test_a_non_technical_role_without_known_skills_falls_back_to_its_family(model):
    analysis = model.analyse_job("Customer Success Manager", "Join our fast-growing team in Berlin!")
    assert {"Customer onboarding", "Customer retention", "Communication"} <= set(names(analysis))
    assert not {"Python", "Cloud", "Databases"} & set(names(analysis))

    nurse = model.analyse_job("Registered Nurse", "Night shifts available.")
    assert {"Patient care", "Medication administration", "Infection control"} <= set(names(nurse))

    unknown = model.analyse_job("Zookeeper", "Looking for someone who loves animals.")
    assert {"Communication", "Problem solving", "Teamwork"} <= set(names(unknown))


def test_a_sparse_posting_is_topped_up_with_core_skills(model):
    analysis = model.analyse_job("Frontend Developer", "You will build our web app in React.")
    assert {"JavaScript", "CSS", "HTML"} <= set(names(analysis))
    assert weight(analysis, "React") > weight(analysis, "JavaScript")  # named beats inferred


# --- Determinism ------------------------------------------------------------------------------------------


def test_same_input_same_output_in_fresh_instances(model):
    first = OfflineModel().analyse_job(SEED_ROLE, SEED_DESCRIPTION)
    offline.knowledge.cache_clear()
    offline.bank.cache_clear()
    second = OfflineModel().analyse_job(SEED_ROLE, SEED_DESCRIPTION)
    assert first == second
    skill = Skill(name="Python", category="language", weight=0.3)
    assert OfflineModel().write_questions(skill, Seniority.senior, SEED_ROLE, 3) == model.write_questions(
        skill, Seniority.senior, SEED_ROLE, 3
    )


def test_question_choice_depends_on_the_role(model):
    skill = Skill(name="Kubernetes", category="devops", weight=0.2)
    picks = {
        tuple(q.prompt for q in model.write_questions(skill, Seniority.mid, role, 2))
        for role in ("Platform Engineer", "Backend Developer", "SRE", "DevOps Engineer", "Cloud Engineer")
    }
    assert len(picks) > 1


SUBPROCESS = """
import json, sys
import panelist.interviews.ai
assert "panelist.interviews.ai.offline" not in sys.modules and "panelist.interviews.ai.bedrock" not in sys.modules
from panelist.interviews.ai import offline
assert offline.knowledge.cache_info().currsize == 0 and offline.bank.cache_info().currsize == 0  # lazy data
from panelist.models.interviews import Seniority, Skill
model = panelist.interviews.ai.provider("offline")
analysis = model.analyse_job(sys.argv[1], sys.argv[2])
drafts = model.write_questions(analysis.skills[0], analysis.seniority, sys.argv[1], 3)
print(json.dumps([analysis.model_dump(mode="json"), [d.model_dump(mode="json") for d in drafts]]))
"""


def test_same_output_across_processes_whatever_the_hash_seed(model):
    """Python's `hash()` differs per process; the offline model must not depend on it."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", SUBPROCESS, SEED_ROLE, SEED_DESCRIPTION],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    analysis = model.analyse_job(SEED_ROLE, SEED_DESCRIPTION)
    drafts = model.write_questions(analysis.skills[0], analysis.seniority, SEED_ROLE, 3)
    here = [analysis.model_dump(mode="json"), [d.model_dump(mode="json") for d in drafts]]
    assert json.loads(result.stdout) == here


# --- Questions --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 3, ai.MAX_QUESTIONS])
def test_every_taxonomy_skill_gets_count_distinct_questions_at_every_level(model, count):
    known = offline.knowledge()
    for name, category in known.categories.items():
        skill = Skill(name=name, category=category, weight=0.1)
        for level in Seniority:
            drafts = model.write_questions(skill, level, "Role", count)
            assert len(drafts) == count, (name, level)
            assert len({d.prompt for d in drafts}) == count, (name, level)
            for draft in drafts:
                assert draft.skill == name
                assert 2 <= len(draft.evaluation_criteria) <= 4
                assert all(draft.expectations.model_dump().values())
                assert "{skill}" not in draft.model_dump_json()


def test_a_skill_with_a_bank_gets_its_own_questions_for_its_level(model):
    bank = offline.bank()
    python = bank.by_skill["Python"]
    junior = {t.prompt for t in python if offline.LEVELS.index(Seniority.junior) in t.levels}
    lead = {t.prompt for t in python if offline.LEVELS.index(Seniority.lead) in t.levels}
    skill = Skill(name="Python", weight=0.3)

    assert {d.prompt for d in model.write_questions(skill, Seniority.junior, "Developer", 2)} == junior
    assert {d.prompt for d in model.write_questions(skill, Seniority.lead, "Developer", 2)} == lead
    # Then junior-level language templates before Python questions written for other levels.
    more = [d.prompt for d in model.write_questions(skill, Seniority.junior, "Developer", 8)]
    assert set(more[:2]) == junior
    assert not lead & set(more)
    assert all(prompt in {t.prompt for t in python} or "Python" in prompt for prompt in more)


def test_other_names_for_a_skill_use_its_bank_and_keep_the_callers_name(model):
    drafts = model.write_questions(Skill(name="k8s", weight=0.2), Seniority.mid, "SRE", 2)
    kubernetes = {t.prompt for t in offline.bank().by_skill["Kubernetes"]}
    assert all(d.prompt in kubernetes and d.skill == "k8s" for d in drafts)


def test_skill_names_read_naturally_inside_templates(model):
    def prompts(name: str, category: str = "technical") -> str:
        drafts = model.write_questions(Skill(name=name, category=category, weight=0.2), Seniority.mid, "Role", 6)
        return " ".join(d.prompt for d in drafts)

    assert "customer advocacy" in prompts("Customer advocacy")  # a taxonomy skill without a bank
    assert "Terraform" in prompts("Terraform")
    assert "basket weaving" in prompts("Basket weaving")  # unknown: generic templates, lowercase phrase
    assert "Apache Pulsar" in prompts("Apache Pulsar", "architecture")  # unknown proper name kept


@pytest.mark.parametrize("count", [0, -1, ai.MAX_QUESTIONS + 1])
def test_question_count_is_bounded(model, count):
    with pytest.raises(ValueError, match="count"):
        model.write_questions(Skill(name="Python", weight=0.5), Seniority.mid, "Developer", count)


def test_the_bank_covers_common_skills_at_every_level_and_every_category_has_templates():
    bank = json.loads((DATA / "questions.json").read_text())
    taxonomy = json.loads((DATA / "skills.json").read_text())
    known = {skill["name"] for skill in taxonomy["skills"]}

    assert len(bank["skills"]) >= 60
    assert set(bank["skills"]) <= known
    assert set(bank["templates"]) == {*taxonomy["categories"], offline.DEFAULT_CATEGORY}
    for name, questions in [*bank["skills"].items(), *bank["templates"].items()]:
        for level in Seniority:
            assert sum(level.value in q["levels"] for q in questions) >= 2, (name, level)
        for question in questions:
            assert 2 <= len(question["criteria"]) <= 4
            assert all(question[rating] for rating in ("strong", "moderate", "weak"))
    for questions in bank["templates"].values():
        assert all("{skill}" in q["prompt"] for q in questions)


# --- The taxonomy -----------------------------------------------------------------------------------------


def test_taxonomy_has_hundreds_of_uniquely_named_skills_and_no_shared_alias():
    taxonomy = json.loads((DATA / "skills.json").read_text())
    skills = taxonomy["skills"]
    assert len(skills) >= 300
    assert len({skill["name"].casefold() for skill in skills}) == len(skills)
    assert set(taxonomy["categories"]) == set(ai.SKILL_CATEGORIES)

    claimed: dict[tuple[tuple[str, ...], bool], str] = {}
    for skill in skills:
        assert skill["category"] in ai.SKILL_CATEGORIES
        cased = skill.get("cased", [])
        phrases = [(p, False) for p in [skill["name"], *skill["aliases"]] if p not in cased]
        for phrase, exact in [*phrases, *((p, True) for p in cased)]:
            key = (tuple(t.text for t in offline.tokenize(phrase)) if exact else phrase_key(phrase), exact)
            assert claimed.setdefault(key, skill["name"]) == skill["name"], f"{phrase!r} claimed twice"
    for entry in taxonomy["contextual"]:
        assert (phrase_key(entry["term"]), False) not in claimed
        assert {entry["default"], *entry.get("by_family", {}).values()} - {None} <= {s["name"] for s in skills}


def test_role_families_name_known_skills():
    roles = json.loads((DATA / "roles.json").read_text())
    known = offline.knowledge().categories
    for family in [*roles["families"], {"id": "generic", "skills": roles["generic"]}]:
        assert len(family["skills"]) >= ai.MIN_SKILLS
        assert set(family["skills"]) <= set(known), family["id"]


# --- The contract -----------------------------------------------------------------------------------------


def test_provider_is_chosen_by_name_or_settings_and_cached():
    assert isinstance(ai.provider("offline"), OfflineModel)
    assert ai.provider("offline") is ai.provider("offline")
    assert ai.provider() is ai.provider("offline")  # PANELIST_AI_PROVIDER=offline in tests/conftest.py
    with pytest.raises(ConfigurationError, match="gpt"):
        ai.provider("gpt")


def test_weighted_skills_round_to_hundredths_and_keep_order():
    skills = ai.weighted_skills([("A", "x", 1.0), ("B", "x", 3.0), ("C", "x", 1.0), ("D", "x", 0.001)])
    assert [s.name for s in skills] == ["B", "A", "C", "D"]
    assert [s.weight for s in skills] == [0.59, 0.2, 0.2, 0.01]  # every skill keeps at least 0.01
    twelve = ai.weighted_skills([(f"S{i}", "x", 1.0) for i in range(12)])
    assert round(sum(s.weight for s in twelve), 2) == 1.0
    assert max(s.weight for s in twelve) - min(s.weight for s in twelve) <= 0.01


def test_job_analysis_rejects_unranked_or_unbalanced_skills():
    def skill(name: str, weight: float) -> Skill:
        return Skill(name=name, weight=weight)

    ai.JobAnalysis(role="r", seniority="mid", skills=[skill("A", 0.5), skill("B", 0.3), skill("C", 0.2)])
    for skills in (
        [skill("A", 0.5), skill("B", 0.3)],  # too few
        [skill("A", 0.5), skill("B", 0.3), skill("C", 0.3)],  # sums to 1.1
        [skill("A", 0.2), skill("B", 0.3), skill("C", 0.5)],  # least important first
        [skill("A", 0.5), skill("a", 0.3), skill("C", 0.2)],  # the same skill twice
    ):
        with pytest.raises(ValidationError):
            ai.JobAnalysis(role="r", seniority="mid", skills=skills)
