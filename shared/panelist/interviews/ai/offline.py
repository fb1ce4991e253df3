"""The offline interview model: deterministic rules over shipped data, no network, no randomness.

`data/skills.json` is the skills taxonomy (canonical names, categories, aliases), `data/roles.json` the role
families (the core skills of a job title, used when a posting names too few), `data/questions.json` the
question bank (questions for common skills, and per-category templates for the rest). Each file loads on
first use, never at import: a cold start that analyses no job does not pay for the taxonomy.

Matching works on tokens, not substrings: "Go" is not in "good", "C" is not in "CI", "C++" or "C-level",
"Java" is not in "JavaScript", and "Node" is not in "Node.js".
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

from panelist.interviews.ai.model import (
    MAX_QUOTE_CHARS,
    MAX_SKILLS,
    MIN_SKILLS,
    OFFLINE_ENGINE,
    STRONG_SCORE,
    FollowUp,
    JobAnalysis,
    QuestionDraft,
    bucket_of,
    check_count,
    clamp_score,
    distinct,
    evidence_reason,
    overall_score,
    provenance,
    weighted_skills,
)
from panelist.models.interviews import Expectations, Question, Seniority, Skill
from panelist.models.sessions import Answer, AnswerAnalysis, Assessment, Bucket, Evidence, EvidenceStatus

DATA = Path(__file__).parent / "data"

LEVELS = list(Seniority)  # junior < mid < senior < lead
DEFAULT_CATEGORY = "default"  # the question templates for a skill of no known category

# How a skill's score adds up: each mention is worth 1, times its cue, its sentence's years-of-experience
# demand and its position; further mentions add a fraction; a skill in the role title outranks the rest.
STRONG, WEAK = 1.6, 0.5  # "strong knowledge of", "required" / "preferred", "a plus"
YEARS = 1.2  # the sentence asks for years of experience
EARLY = 0.3  # how much more the first sentence counts than the last
REPEAT = 0.3  # what each further mention adds
TITLE = 2.0  # in the role title
FALLBACK = 0.6  # a role family's core skill, added when the posting names too few


# --- Tokens and phrase matching ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+[+#]*|[^\w\s]")


class Token(NamedTuple):
    text: str
    lower: str
    start: int
    end: int
    hyphen: bool  # joined to the previous token by a hyphen ("front-end", "C-level"), which is dropped


def tokenize(text: str) -> list[Token]:
    """Words (with a trailing + or #: "C++", "C#") and single punctuation marks. A hyphen inside a word is
    dropped, so "front-end" and "front end" are the same phrase."""
    tokens: list[Token] = []
    hyphen = False
    for match in _TOKEN.finditer(text):
        word = match.group()
        if word == "-" and tokens and tokens[-1].end == match.start() and _is_word(text[match.end() : match.end() + 1]):
            hyphen = _is_word(tokens[-1].text)
            if hyphen:
                continue
        tokens.append(Token(word, word.lower(), match.start(), match.end(), hyphen))
        hyphen = False
    return tokens


_PLAIN = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")  # most phrases: no tokenizer needed (a faster first load)


def phrase_key(phrase: str) -> tuple[str, ...]:
    """What a phrase matches, case-insensitively: "Node.js" and "node.js" are one phrase."""
    lower = phrase.lower()
    if _PLAIN.fullmatch(lower):
        return tuple(lower.split(" "))
    return tuple(token.lower for token in tokenize(phrase))


def _is_word(text: str) -> bool:
    return bool(text) and (text[0].isalnum() or text[0] == "_")


def _touches(tokens: list[Token], index: int) -> bool:
    """Token `index` is written against the one before it: no space between them, or only a hyphen."""
    return 0 < index < len(tokens) and (tokens[index].hyphen or tokens[index - 1].end == tokens[index].start)


_GLUE = {"&", "'", "\u2019"}  # "R&D", "C's"


def _bounded(tokens: list[Token], start: int, end: int) -> bool:
    """tokens[start:end] stands on its own: not part of a dotted name ("Node" in "Node.js", ".net" in
    "asp.net") and, for a lone letter, not part of a compound ("C-level", "R&D")."""
    if not _is_word(tokens[start].text) and _touches(tokens, start) and _is_word(tokens[start - 1].text):
        return False
    if start >= 2 and tokens[start - 1].text == "." and _touches(tokens, start) and _touches(tokens, start - 1):
        return False
    if (
        end + 1 < len(tokens)
        and tokens[end].text == "."
        and _touches(tokens, end)
        and _touches(tokens, end + 1)
        and _is_word(tokens[end + 1].text)
    ):
        return False
    if end - start == 1 and len(tokens[start].text) == 1:
        if tokens[start].hyphen or (end < len(tokens) and tokens[end].hyphen):
            return False
        if (_touches(tokens, start) and tokens[start - 1].text in _GLUE) or (
            _touches(tokens, end) and tokens[end].text in _GLUE
        ):
            return False
    return True


T = TypeVar("T")


class Lexicon(Generic[T]):
    """Phrases and their values; `find` takes the longest phrase at each position, left to right."""

    def __init__(self) -> None:
        self.folded: dict[tuple[str, ...], T] = {}
        self.cased: dict[tuple[str, ...], T] = {}
        self.longest = 0

    def add(self, phrase: str, value: T, *, cased: bool = False) -> None:
        """Add a phrase; a `cased` one matches only as written ("Go", not "go"). The first value stays."""
        key = tuple(token.text for token in tokenize(phrase)) if cased else phrase_key(phrase)
        if not key:
            raise ValueError(f"empty phrase {phrase!r}")
        (self.cased if cased else self.folded).setdefault(key, value)
        self.longest = max(self.longest, len(key))

    def find(self, tokens: list[Token]) -> Iterator[tuple[int, int, T]]:
        """(first token, end token, value) of each phrase found, without overlaps."""
        i, count = 0, len(tokens)
        while i < count:
            for size in range(min(self.longest, count - i), 0, -1):
                window = tokens[i : i + size]
                value = self.folded.get(tuple(token.lower for token in window))
                if value is None and self.cased:
                    value = self.cased.get(tuple(token.text for token in window))
                if value is not None and _bounded(tokens, i, i + size):
                    yield i, i + size, value
                    i += size
                    break
            else:
                i += 1

    def whole(self, phrase: str) -> T | None:
        """The value of `phrase` if it is exactly one known phrase."""
        tokens = tokenize(phrase)
        matches = list(self.find(tokens))
        return matches[0][2] if len(matches) == 1 and matches[0][:2] == (0, len(tokens)) else None


# --- The shipped data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contextual:
    """A term whose skill depends on the role ("onboarding": of customers, or of new employees?)."""

    default: str | None
    by_family: dict[str, str]


@dataclass
class Knowledge:
    categories: dict[str, str]  # skill -> category
    common: set[str]  # skills that read in lowercase mid-sentence ("customer onboarding"; not "Python")
    skills: Lexicon[str | Contextual]
    families: dict[str, list[str]]  # role family -> its core skills, most important first
    titles: Lexicon[str]  # job-title phrase -> role family
    generic: list[str]  # the core skills of a role of no known family

    def family(self, title: list[Token]) -> str | None:
        """The role family of a job title, by its longest known phrase ("data engineer" over "engineer")."""
        best: tuple[int, str] | None = None
        for start, end, family in self.titles.find(title):
            if best is None or end - start > best[0]:
                best = (end - start, family)
        return best[1] if best else None

    def resolve(self, value: str | Contextual, family: str | None) -> str | None:
        if isinstance(value, str):
            return value
        return value.by_family.get(family or "", value.default)

    def canonical(self, name: str) -> str | None:
        """The taxonomy's name for a skill name or alias ("k8s" -> "Kubernetes"), if it knows it."""
        if name in self.categories:
            return name
        value = self.skills.whole(name)
        return None if value is None else self.resolve(value, None)


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@cache
def knowledge() -> Knowledge:
    """The taxonomy and role families, loaded and indexed on first use."""
    taxonomy, roles = _load("skills.json"), _load("roles.json")
    categories: dict[str, str] = {}
    common: set[str] = set()
    skills: Lexicon[str | Contextual] = Lexicon()
    for entry in taxonomy["skills"]:
        name, cased = entry["name"], entry.get("cased", [])
        categories[name] = entry["category"]
        if entry.get("common"):
            common.add(name)
        for phrase in [name, *entry["aliases"]]:
            if phrase not in cased:
                skills.add(phrase, name)
        for phrase in cased:
            skills.add(phrase, name, cased=True)
    for entry in taxonomy["contextual"]:
        skills.add(entry["term"], Contextual(entry["default"], entry.get("by_family", {})))
    titles: Lexicon[str] = Lexicon()
    for family in roles["families"]:
        for title in family["titles"]:
            titles.add(title, family["id"])
    families = {family["id"]: family["skills"] for family in roles["families"]}
    return Knowledge(categories, common, skills, families, titles, roles["generic"])


@dataclass(frozen=True)
class Template:
    """A bank question; in a category's templates, {skill} stands for the skill's name."""

    levels: tuple[int, ...]  # the seniorities it suits, as indexes into LEVELS
    prompt: str
    criteria: tuple[str, ...]
    strong: str
    moderate: str
    weak: str

    def distance(self, level: int) -> int:
        return min(abs(level - own) for own in self.levels)

    def render(self, skill: str, phrase: str) -> tuple[str, list[str], Expectations]:
        """For `skill`, written `phrase` inside a sentence ("How do you measure customer onboarding?")."""

        def fill(text: str) -> str:
            if text.startswith("{skill}"):
                text = skill + text.removeprefix("{skill}")
            return text.replace("{skill}", phrase)

        return (
            fill(self.prompt),
            [fill(criterion) for criterion in self.criteria],
            Expectations(strong=fill(self.strong), moderate=fill(self.moderate), weak=fill(self.weak)),
        )


@dataclass
class Bank:
    by_skill: dict[str, list[Template]]
    by_category: dict[str, list[Template]]  # templates, including DEFAULT_CATEGORY


def _template(raw: dict[str, Any]) -> Template:
    levels = tuple(LEVELS.index(Seniority(level)) for level in raw["levels"])
    return Template(levels, raw["prompt"], tuple(raw["criteria"]), raw["strong"], raw["moderate"], raw["weak"])


@cache
def bank() -> Bank:
    """The question bank, loaded on first use."""
    raw = _load("questions.json")
    return Bank(
        {skill: [_template(q) for q in questions] for skill, questions in raw["skills"].items()},
        {category: [_template(q) for q in questions] for category, questions in raw["templates"].items()},
    )


def skills_in(text: str, role: str = "") -> list[str]:
    """The taxonomy skills a text names, in order of first mention; `role` settles role-dependent terms."""
    known = knowledge()
    family = known.family(tokenize(role))
    names = (known.resolve(value, family) for _, _, value in known.skills.find(tokenize(text)))
    return list(dict.fromkeys(name for name in names if name))


# --- Cues: how much a posting insists on a skill, and how senior the role is ------------------------------

FORWARD, BACKWARD, EITHER = 1, 2, 3  # a cue applies to the skills after it, before it, or either side


def _phrases(value: T, phrases: str) -> dict[str, T]:
    return dict.fromkeys(phrases.split(","), value)


_CUES: dict[str, tuple[float, int]] = {
    **_phrases(
        (STRONG, FORWARD),
        "strong,solid,deep,extensive,expert,expertise,proficient,proficiency,mastery,in depth,advanced,excellent,"
        "proven,hands on,significant experience,thorough,demonstrated,must have,must,minimum qualifications,"
        "basic qualifications",
    ),
    **_phrases((STRONG, EITHER), "required,requirements,essential,mandatory,critical,a must,crucial"),
    **_phrases(
        (WEAK, FORWARD),
        "familiarity,familiar,exposure,ideally,preferably,basic knowledge,some experience,bonus points,awareness",
    ),
    **_phrases(
        (WEAK, BACKWARD),
        "a plus,plus,big plus,is a plus,desirable,desired,an advantage,advantage,advantageous,beneficial,helpful,"
        "optional,not required,not essential,welcome,appreciated",
    ),
    **_phrases((WEAK, EITHER), "preferred,nice to have,good to have,bonus,a bonus"),
}

# Job-title words ("" for phrases that look like one but name no level: "lead generation", "staff nurse").
_TITLE_LEVELS: dict[str, str] = {
    **_phrases(
        Seniority.junior.value,
        "junior,jr,intern,internship,trainee,graduate,grad,entry level,apprentice,associate,student,graduate nurse",
    ),
    **_phrases(Seniority.mid.value, "mid,mid level,midlevel,intermediate,experienced"),
    **_phrases(Seniority.senior.value, "senior,sr,snr,architect,expert"),
    **_phrases(
        Seniority.lead.value,
        "lead,principal,staff,head,director,vp,vice president,chief,cto,cfo,coo,cio,ciso,cmo,cpo,manager of,"
        "engineering manager,team lead,tech lead,supervisor",
    ),
    **_phrases("", "lead generation,lead gen,lead nurturing,staff nurse,staff accountant,staff writer"),
}
_ROMAN = {"I": Seniority.junior, "II": Seniority.mid, "III": Seniority.senior, "IV": Seniority.lead}

_DESCRIPTION_LEVELS: dict[str, Seniority] = {
    **_phrases(
        Seniority.junior,
        "entry level,new grad,new graduate,recent graduate,recent graduates,no experience,no prior experience,"
        "graduate program,graduate programme,internship",
    ),
    **_phrases(
        Seniority.lead,
        "lead a team,lead the team,manage a team,managing a team,manage the team,direct reports,people management,"
        "line management,build and lead,head of",
    ),
}

_NUMBERS = {
    word: value
    for value, word in enumerate(
        "zero,one,two,three,four,five,six,seven,eight,nine,ten,eleven,twelve,thirteen,fourteen,fifteen".split(",")  # noqa: SIM905
    )
}
_YEARS = {"year", "years", "yrs", "yr"}
_SENTENCE_ENDS = {".", "!", "?", ";", "\u2022", "\u00b7", "|", "\u25aa", "\u25cf", "\u25e6"}


@cache
def _cue_lexicon() -> Lexicon[tuple[float, int]]:
    lexicon: Lexicon[tuple[float, int]] = Lexicon()
    for phrase, cue in _CUES.items():
        lexicon.add(phrase, cue)
    return lexicon


@cache
def _level_lexicons() -> tuple[Lexicon[str], Lexicon[Seniority]]:
    title: Lexicon[str] = Lexicon()
    for phrase, level in _TITLE_LEVELS.items():
        title.add(phrase, level)
    description: Lexicon[Seniority] = Lexicon()
    for phrase, hint in _DESCRIPTION_LEVELS.items():
        description.add(phrase, hint)
    return title, description


def _number(token: Token) -> int | None:
    text = token.lower.rstrip("+")
    if text.isdigit() and len(text) <= 2:
        return int(text)
    return _NUMBERS.get(text)


def years_required(tokens: list[Token]) -> list[tuple[int, int]]:
    """(token index, years) of each "5+ years", "3-5 years", "at least three years": the lower bound."""
    found: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token.lower not in _YEARS:
            continue
        after = [t.lower for t in tokens[index + 1 : index + 3]]
        if after[:1] in (["ago"], ["old"]) or after == ["of", "history"]:  # "founded 20 years ago"
            continue
        numbers = [n for n in map(_number, tokens[max(0, index - 4) : index]) if n is not None]
        if numbers:
            found.append((index, min(numbers)))
    return found


def _from_years(years: int) -> Seniority:
    if years <= 1:
        return Seniority.junior
    if years <= 4:
        return Seniority.mid
    return Seniority.senior if years <= 9 else Seniority.lead


def seniority(title: list[Token], description: list[Token]) -> Seniority:
    """From the title ("Senior", "Lead", "Junior", "Engineer II"), else from the years of experience asked
    for, else from the description's words ("entry-level", "direct reports"); mid if nothing says."""
    title_lexicon, description_lexicon = _level_lexicons()
    levels = [Seniority(value) for _, _, value in title_lexicon.find(title) if value]
    if title and title[-1].text in _ROMAN:
        levels.append(_ROMAN[title[-1].text])
    if not levels:
        years = [n for _, n in years_required(description)]
        if years:
            return _from_years(max(years))
        levels = [hint for _, _, hint in description_lexicon.find(description)]
    return max(levels, key=LEVELS.index, default=Seniority.mid)


# --- Analysis ---------------------------------------------------------------------------------------------


@dataclass
class _Sentences:
    of: list[int]  # the sentence (or line, or list item) of each token
    paragraphs: set[int]  # the sentences that open a paragraph (after a blank line)
    count: int


def _sentences(text: str, tokens: list[Token]) -> _Sentences:
    of: list[int] = []
    paragraphs = {0}
    current = 0
    for index, token in enumerate(tokens):
        gap = text[tokens[index - 1].end : token.start] if index else ""
        if "\n" in gap:
            current += 1 if of and of[-1] == current else 0
            if gap.count("\n") > 1:
                paragraphs.add(current)
        of.append(current)
        inside_name = _touches(tokens, index) and _touches(tokens, index + 1)  # the dot of "node.js"
        if token.text in _SENTENCE_ENDS and not inside_name:
            current += 1
    return _Sentences(of, paragraphs, max(of, default=0) + 1)


def _cue_weights(tokens: list[Token], sentences: _Sentences, with_skills: set[int]) -> list[float]:
    """The cue multiplier of each token: the nearest cue in its sentence that points its way, else the cue
    of the heading it sits under ("Nice to have:" above a list, until the paragraph ends), else 1."""
    spans = [[len(tokens), 0] for _ in range(sentences.count)]
    for index, sentence in enumerate(sentences.of):
        spans[sentence][0] = min(spans[sentence][0], index)
        spans[sentence][1] = index + 1
    cues: list[list[tuple[int, int, float, int]]] = [[] for _ in range(sentences.count)]
    for start, end, (weight, direction) in _cue_lexicon().find(tokens):
        cues[sentences.of[start]].append((start, end, weight, direction))

    heading: list[float] = []  # the cue of the heading each sentence sits under
    current = 1.0
    for sentence, (first, last) in enumerate(spans):
        if sentence in sentences.paragraphs:
            current = 1.0
        heading.append(current)
        short_cue_line = last - first <= 4 and bool(cues[sentence]) and sentence not in with_skills
        if first < last and (tokens[last - 1].text == ":" or short_cue_line):
            current = cues[sentence][-1][2] if cues[sentence] else 1.0

    weights: list[float] = []
    for index, sentence in enumerate(sentences.of):
        nearest: tuple[int, float] | None = None
        for start, end, weight, direction in cues[sentence]:
            if end <= index and direction & FORWARD:
                distance = index - end
            elif start > index and direction & BACKWARD:
                distance = start - index
            else:
                continue
            if nearest is None or distance < nearest[0]:
                nearest = (distance, weight)
        weights.append(nearest[1] if nearest else heading[sentence])
    return weights


# Sentences about the employer, not the job: "We offer flexible working", "We are committed to diversity and
# inclusion", "an equal opportunity employer". The skills they name are not the role's.
_BOILERPLATE = (
    "we offer,we provide,our benefits,benefits include,perks include,perks,equal opportunity,equal employment,"
    "committed to diversity,committed to creating,committed to building,committed to fostering,regardless of,"
    "reasonable accommodation,reasonable accommodations"
)


@cache
def _boilerplate_lexicon() -> Lexicon[bool]:
    lexicon: Lexicon[bool] = Lexicon()
    for phrase in _BOILERPLATE.split(","):
        lexicon.add(phrase, True)
    return lexicon


# "The sales team", "our marketing department": a department, not a skill the role needs. Practices stay
# skills ("Agile teams").
_DEPARTMENT = {"team", "teams", "department", "departments", "org", "leaders", "colleagues", "counterparts"}
_TEAM_PRACTICES = {"practices"}


@dataclass
class _Evidence:
    category: str
    order: int  # when first seen (the title before the description): ties keep the posting's order
    mentions: list[float] = field(default_factory=list)
    in_title: bool = False

    def score(self) -> float:
        ranked = sorted(self.mentions, reverse=True)
        mentioned = ranked[0] + REPEAT * sum(ranked[1:]) if ranked else 0.0
        return mentioned + (TITLE if self.in_title else 0.0)


class OfflineModel:
    engine = OFFLINE_ENGINE
    """Rules over the shipped data: the same input gives the same output, in any process, without a network."""

    def analyse_job(self, role: str, description: str) -> JobAnalysis:
        known = knowledge()
        role = role.strip()
        title, body = tokenize(role), tokenize(description)
        family = known.family(title)
        evidence: dict[str, _Evidence] = {}

        def mentioned(value: str | Contextual) -> _Evidence | None:
            name = known.resolve(value, family)
            if name is None:
                return None
            if name not in evidence:
                evidence[name] = _Evidence(known.categories[name], order=len(evidence))
            return evidence[name]

        for _, _, value in known.skills.find(title):
            if seen := mentioned(value):
                seen.in_title = True

        sentences = _sentences(description, body)
        boilerplate = {sentences.of[start] for start, _, _ in _boilerplate_lexicon().find(body)}
        matches: list[tuple[int, str | Contextual]] = []
        for start, end, value in known.skills.find(body):
            department = end < len(body) and body[end].lower in _DEPARTMENT
            if department and not (isinstance(value, str) and known.categories[value] in _TEAM_PRACTICES):
                continue
            if sentences.of[start] not in boilerplate:
                matches.append((start, value))
        cue_of = _cue_weights(body, sentences, {sentences.of[start] for start, _ in matches})
        with_years = {sentences.of[index] for index, _ in years_required(body)}
        for start, value in matches:
            if seen := mentioned(value):
                sentence = sentences.of[start]
                weight = cue_of[start] * (YEARS if sentence in with_years else 1.0)
                seen.mentions.append(weight * (1 + EARLY * (1 - sentence / sentences.count)))

        ranked = sorted(evidence.items(), key=lambda item: (-item[1].score(), item[1].order))[:MAX_SKILLS]
        scored = [(name, seen.category, seen.score()) for name, seen in ranked]
        if sum(1 for _, seen in ranked if seen.mentions) < MIN_SKILLS:
            # The posting says too little: add its role family's core skills (generic ones if none fits).
            core = known.families[family] if family else known.generic
            extra = [name for name in dict.fromkeys([*core, *known.generic]) if name not in evidence]
            wanted = min(MAX_SKILLS, max(MIN_SKILLS, len(scored) + len(core)))
            for rank, name in enumerate(extra[: max(0, wanted - len(scored))]):
                scored.append((name, known.categories[name], FALLBACK * (1 - rank / 25)))
        return JobAnalysis(role=role, seniority=seniority(title, body), skills=weighted_skills(scored))

    def write_questions(self, skill: Skill, seniority: Seniority, role: str, count: int) -> list[QuestionDraft]:
        """The bank's questions for the skill, then its category's templates, then generic templates; those
        written for the asked seniority first, in an order fixed by (role, skill, seniority)."""
        check_count(count)
        known, questions = knowledge(), bank()
        canonical = known.canonical(skill.name)
        category = known.categories[canonical] if canonical else skill.category
        sources = [(0.0, questions.by_skill.get(canonical or "", []))]
        if category != DEFAULT_CATEGORY and category in questions.by_category:
            sources.append((0.6, questions.by_category[category]))
        sources.append((1.2, questions.by_category[DEFAULT_CATEGORY]))
        level = LEVELS.index(seniority)
        seed = "\x1f".join([role.strip().casefold(), skill.name.strip().casefold(), seniority.value])
        candidates = [(rank, template) for rank, templates in sources for template in templates]
        ranked = sorted(
            (rank + template.distance(level), _stable_hash(seed, template.prompt), position, template)
            for position, (rank, template) in enumerate(candidates)
        )
        phrase = _mid_sentence(skill.name, known.common, canonical)
        drafts: dict[str, QuestionDraft] = {}
        for *_, template in ranked:
            prompt, criteria, expectations = template.render(skill.name, phrase)
            drafts.setdefault(
                prompt,
                QuestionDraft(skill=skill.name, prompt=prompt, evaluation_criteria=criteria, expectations=expectations),
            )
            if len(drafts) == count:
                break
        return list(drafts.values())

    def evaluate_answer(self, question: Question, answer: str, *, role: str) -> AnswerAnalysis:
        """Evidence for each criterion and for the strong expectation, topical overlap, specificity and
        length, less hedging; gated by relevance (an off-topic answer keeps a small fraction). See `evaluate`."""
        return evaluate(question, answer, role).analysis()

    def follow_up(self, question: Question, answer: str) -> str | None:
        """Asks about the first missed criterion of a thin answer (short, vague, or covering under half of
        the criteria); None for an answer that is full enough."""
        return evaluate(question, answer).follow_up()

    def follow_up_decision(self, question: Question, answer: str) -> FollowUp:
        return FollowUp(self.follow_up(question, answer), provenance(OFFLINE_ENGINE))

    def assess_candidate(
        self,
        role: str,
        questions: Sequence[Question],
        answers: Sequence[Answer],
        resume_text: str | None,
        *,
        score: float | None = None,
    ) -> Assessment:
        return assess(role, questions, answers, resume_text, score=score)


_COMMON_HEAD = re.compile(r"[A-Z][a-z]+(?:-[a-z]+)*")
_COMMON_TAIL = re.compile(r"[a-z][a-z/-]*")


def _mid_sentence(name: str, common: set[str], canonical: str | None) -> str:
    """How a skill reads inside a sentence: "customer onboarding", but "Python" and "Apache Spark". The
    taxonomy knows its own names; another name changes only if it reads as a lowercase phrase."""
    if canonical == name:
        lower = name in common
    else:
        head, *tail = name.split() or [""]
        lower = bool(tail) and bool(_COMMON_HEAD.fullmatch(head)) and all(map(_COMMON_TAIL.fullmatch, tail))
    return name[:1].lower() + name[1:] if lower else name


def _stable_hash(seed: str, text: str) -> bytes:
    """Not `hash()`, which changes with every process (PYTHONHASHSEED)."""
    return hashlib.sha256(f"{seed}\x1f{text}".encode()).digest()[:8]


# --- Answer evaluation ------------------------------------------------------------------------------------

# How an answer's score adds up (each signal is 0-1): evidence for the question's criteria weighs most, then
# the specificity of what the candidate says (numbers, tools, "I" + action verbs, measured outcomes), the
# strong expectation's words, topical overlap with the question, and length (saturating). Hedging costs up
# to HEDGING of the score. Relevance (distinct words shared with the question, skill, role, criteria and
# expectations, saturating at RELEVANT_HITS) gates the sum: an answer sharing none, however specific, keeps
# only OFF_TOPIC of it.
CRITERIA_WEIGHT, SPECIFICITY_WEIGHT, EXPECTATION_WEIGHT, TOPIC_WEIGHT, LENGTH_WEIGHT = 0.40, 0.22, 0.13, 0.10, 0.15
HEDGE, HEDGING = 0.1, 0.3  # the fraction of the score each hedge ("maybe", "I guess", "stuff") takes, at most
OFF_TOPIC = 0.15  # the fraction of its score an answer with no overlap with the question keeps
RELEVANT_HITS = 4  # distinct question words an answer needs to count as fully on topic
FULL_LENGTH = 45  # content words at which length stops adding
THIN_WORDS = 15  # fewer content words than this is a thin answer (follow-up)


@dataclass(frozen=True)
class AnswerWords:
    stopwords: frozenset[str]
    generic: frozenset[str]
    hedges: Lexicon[bool]
    actions: frozenset[str]
    outcomes: frozenset[str]
    synonyms: dict[str, str]


@cache
def answer_words() -> AnswerWords:
    """The word lists of answer evaluation (data/answers.json), loaded on first use."""
    raw = _load("answers.json")
    hedges: Lexicon[bool] = Lexicon()
    for phrase in raw["hedges"].split(","):
        hedges.add(phrase.strip(), True)
    return AnswerWords(
        stopwords=frozenset(raw["stopwords"].split()),
        generic=frozenset(raw["generic"].split()),
        hedges=hedges,
        actions=frozenset(raw["actions"].split()),
        outcomes=frozenset(raw["outcomes"].split()),
        synonyms={key.lower(): value.lower() for key, value in raw["synonyms"].items()},
    )


_SUFFIXES = (
    "izations", "isations", "ization", "isation", "ations", "ation", "ments", "ment", "ings", "ing", "ness",
    "ities", "ity", "ies", "ied", "ers", "er", "ed", "ly", "es", "s", "y", "e",
)  # fmt: skip
STEM = 6  # characters a stem keeps: "profile", "profiling", "profiler" are all "profil"


def stem(word: str) -> str:
    """A light stem: lowercase, synonyms mapped, one suffix stripped, cut to STEM characters. Identifiers
    (select_related, N+1, py-spy) and numbers stay whole."""
    words = answer_words()
    lower = words.synonyms.get(word.lower(), word.lower())
    if any(not char.isalpha() for char in lower):
        return lower
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(lower) - len(suffix) >= 3:
            lower = lower[: -len(suffix)]
            break
    return lower[:STEM]


def content_stems(text: str) -> list[str]:
    """The stems of a text's content words, in order: no punctuation, stopwords or rubric words."""
    words = answer_words()
    found: list[str] = []
    for token in tokenize(text):
        if not _is_word(token.text) or token.lower in words.stopwords or token.lower in words.generic:
            continue
        if len(token.lower) < 2 and not token.lower.isdigit():
            continue
        found.append(stem(token.text))
    return found


def _saturate(count: float, full: float) -> float:
    return min(1.0, count / full)


def _is_number(token: Token) -> bool:
    return any(char.isdigit() for char in token.text) or token.lower in _NUMBERS or token.text == "%"


def _is_identifier(token: Token) -> bool:
    """A named technique or API: select_related, assertNumQueries, maxSurge, N+1."""
    text = token.text
    camel = any(char.isupper() for char in text[1:]) and any(char.islower() for char in text)
    return "_" in text.strip("_") or camel or text.endswith("+")


@dataclass
class Criterion:
    text: str
    stems: frozenset[str]
    hits: frozenset[str]
    quote: str | None = None  # the answer's words that matched most of its terms

    @property
    def covered(self) -> bool:
        return bool(self.stems) and len(self.hits) >= min(2, len(self.stems))

    @property
    def partly(self) -> bool:
        return not self.covered and bool(self.hits)


@dataclass
class Evaluation:
    """The evidence of one answer against one question, and the score it adds up to."""

    question: Question
    content_words: int
    criteria: list[Criterion]
    expectation: float
    topic_hits: int
    numbers: int
    tools: list[str]
    actions: int
    outcomes: int
    hedges: int

    @property
    def coverage(self) -> float:
        return sum(1.0 if c.covered else 0.5 if c.partly else 0.0 for c in self.criteria) / max(1, len(self.criteria))

    @property
    def specificity(self) -> float:
        return (
            _saturate(self.numbers, 2)
            + _saturate(len(self.tools), 2)
            + _saturate(self.actions, 3)
            + _saturate(self.outcomes, 2)
        ) / 4

    @property
    def relevance(self) -> float:
        return _saturate(self.topic_hits, RELEVANT_HITS)

    @property
    def off_topic(self) -> bool:
        return self.topic_hits == 0

    @property
    def score(self) -> float:
        weighted = (
            CRITERIA_WEIGHT * self.coverage
            + SPECIFICITY_WEIGHT * self.specificity
            + EXPECTATION_WEIGHT * self.expectation
            + TOPIC_WEIGHT * self.relevance
            + LENGTH_WEIGHT * _saturate(self.content_words, FULL_LENGTH)
        )
        raw = 100 * weighted * (1 - min(HEDGING, HEDGE * self.hedges))
        gate = OFF_TOPIC + (1 - OFF_TOPIC) * self.relevance
        return clamp_score(raw * gate)

    def analysis(self) -> AnswerAnalysis:
        score = self.score
        bucket = bucket_of(score)
        covered = [c.text for c in self.criteria if c.covered]
        evidence = [
            Evidence(
                criterion=c.text,
                status=(
                    EvidenceStatus.met if c.covered else EvidenceStatus.partly if c.partly else EvidenceStatus.missed
                ),
                quote=c.quote if c.hits else None,
            )
            for c in self.criteria
        ]
        order = {EvidenceStatus.met: 0, EvidenceStatus.partly: 1, EvidenceStatus.missed: 2}
        reasons: list[str] = []
        if self.off_topic:
            reasons.append("Off topic: the answer has almost nothing in common with the question")
        reasons += [evidence_reason(e) for e in sorted(evidence, key=lambda e: order[e.status])]
        specifics = []
        if self.tools:
            specifics.append("names " + ", ".join(self.tools[:4]))
        if self.numbers:
            specifics.append(f"{self.numbers} figure{'s' if self.numbers > 1 else ''}")
        if self.outcomes:
            specifics.append("measured outcomes")
        if self.actions:
            specifics.append("first-hand actions")
        if specifics:
            reasons.append("Specific: " + ", ".join(specifics))
        elif not self.off_topic:
            reasons.append("Generic: no figures, tools or first-hand actions")
        if self.hedges:
            reasons.append(f"Hedged {self.hedges} time{'s' if self.hedges > 1 else ''} (maybe, I guess, stuff...)")
        if self.content_words < THIN_WORDS:
            reasons.append(f"Short: {self.content_words} content words")
        expectations = self.question.expectations
        summary = {Bucket.strong: expectations.strong, Bucket.moderate: expectations.moderate}.get(
            bucket, expectations.weak
        )
        if self.off_topic:
            summary = "The answer does not address the question."
        else:
            summary = (
                f"{bucket.value.capitalize()} answer ({len(covered)} of {len(self.criteria)} criteria covered); "
                f"the rubric's {bucket.value} answer: {summary}"
            )
        return AnswerAnalysis(
            score=score,
            bucket=bucket,
            summary=summary,
            reasons=distinct(reasons),
            evidence=evidence,
            provenance=provenance(OFFLINE_ENGINE),
        )

    def follow_up(self) -> str | None:
        thin = self.content_words < THIN_WORDS or self.hedges >= 2 or self.coverage < 0.5
        if not thin or self.score >= STRONG_SCORE:
            return None
        missed = next((c.text for c in self.criteria if not c.covered), None)
        if self.off_topic and self.content_words >= THIN_WORDS:
            return f"Let's come back to the question: {self.question.prompt}"
        if missed:
            return (
                f"Could you go deeper on one point: {missed[:1].lower() + missed[1:]}? "
                "What exactly did you do, and what was the result?"
            )
        return "Can you give a concrete example: what you did, the tools you used, and the result?"


def evaluate(question: Question, answer: str, role: str = "") -> Evaluation:
    """The evidence of `answer` against `question` (deterministic; see the weights above)."""
    words = answer_words()
    tokens = tokenize(answer)
    stems = set(content_stems(answer))
    criteria = []
    for text in question.evaluation_criteria:
        wanted = frozenset(content_stems(text))
        hits = wanted & stems
        criteria.append(Criterion(text, wanted, hits, quote_for(answer, hits) if hits else None))
    strong = set(content_stems(question.expectations.strong))
    expectation = _saturate(len(strong & stems), max(2.0, 0.4 * len(strong)))
    vocabulary = set(content_stems(question.prompt)) | set(content_stems(question.skill)) | strong
    expectations = question.expectations
    for text in [*question.evaluation_criteria, expectations.moderate, expectations.weak, role]:
        vocabulary |= set(content_stems(text))
    known = knowledge()
    tools = [name for _, _, value in known.skills.find(tokens) if (name := known.resolve(value, None))]
    tools += [token.text for token in tokens if _is_identifier(token)]
    actions = sum(
        1
        for index, token in enumerate(tokens)
        if token.text == "I" and any(t.lower in words.actions for t in tokens[index + 1 : index + 3])
    )
    return Evaluation(
        question=question,
        content_words=sum(1 for _ in content_stems(answer)),
        criteria=criteria,
        expectation=expectation,
        topic_hits=len(vocabulary & stems),
        numbers=len({token.lower for token in tokens if _is_number(token)}),
        tools=list(dict.fromkeys(tools)),
        actions=actions,
        outcomes=len({token.lower for token in tokens if token.lower in words.outcomes}),
        hedges=sum(1 for _ in words.hedges.find(tokens)),
    )


_CLAUSE_ENDS = re.compile(r"[.!?;:\n]+|,\s")
CLAUSE_CHARS = 140  # a longer sentence is quoted by its best clause


def _spans(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """The parts of text[start:end] between `pattern`'s matches, as stripped (start, end) spans."""
    spans, at = [], start
    for match in pattern.finditer(text, start, end):
        spans.append((at, match.start()))
        at = match.end()
    spans.append((at, end))
    trimmed = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed


def quote_for(answer: str, hits: frozenset[str]) -> str | None:
    """The answer's own words that match most of `hits` (a criterion's stems found in it): the best sentence,
    else (a sentence over CLAUSE_CHARS) its best clause, else that clause's first MAX_QUOTE_CHARS cut at a
    word. Always a verbatim span of the answer; None when no sentence holds a hit."""

    def best(spans: list[tuple[int, int]]) -> tuple[int, int] | None:
        scored = [(len(hits & set(content_stems(answer[a:b]))), -a, (a, b)) for a, b in spans]
        top = max(scored, default=None)
        return top[2] if top and top[0] > 0 else None

    sentence = best(_spans(answer, 0, len(answer), re.compile(r"[.!?;\n]+")))
    if sentence is None:
        return None
    if sentence[1] - sentence[0] > CLAUSE_CHARS:
        sentence = best(_spans(answer, *sentence, _CLAUSE_ENDS)) or sentence
    a, b = sentence
    if b - a > MAX_QUOTE_CHARS:
        cut = answer.rfind(" ", a, a + MAX_QUOTE_CHARS)
        b = cut if cut > a else a + MAX_QUOTE_CHARS
    return answer[a:b].strip() or None


def assess(
    role: str,
    questions: Sequence[Question],
    answers: Sequence[Answer],
    resume_text: str | None,
    *,
    score: float | None = None,
) -> Assessment:
    """The recruiter assessment from the answers' analyses: one line per question (its best answer: a
    follow-up is part of its question, never a question of its own), strengths from strong questions,
    concerns from weak ones and missed criteria, each said once, and the resume's overlap with the
    interview's skills. `score` is the overall score (the skill-weighted mean); without it, the plain mean of
    the question scores. The summary states that same score."""
    by_question: dict[str, AnswerAnalysis] = {}
    for answer in answers:
        analysis = answer.analysis
        if analysis is not None and (
            answer.question_id not in by_question or analysis.score > by_question[answer.question_id].score
        ):
            by_question[answer.question_id] = analysis
    analysed = [(q, by_question[q.id]) for q in questions if q.id in by_question]
    if score is None:
        score = overall_score((), questions, answers) or 0.0
    strong = [(q, a) for q, a in analysed if a.bucket is Bucket.strong]
    weak = [(q, a) for q, a in analysed if a.bucket is Bucket.weak]
    why_hire = [
        f"Strong on {q.skill}: " + (", ".join(_criteria(a, "met")) or "a specific, complete answer") for q, a in strong
    ]
    why_not_hire = [
        f"Weak on {q.skill}: " + (", ".join(_criteria(a, "missed")) or "a vague or off-topic answer") for q, a in weak
    ]
    answered = {a.question_id for a in answers}
    unanswered = [q.skill for q in questions if q.id not in answered]
    if unanswered:
        why_not_hire.append("Did not answer: " + ", ".join(dict.fromkeys(unanswered)))
    if not why_hire and analysed:
        best_question, best = max(analysed, key=lambda pair: pair[1].score)
        why_hire.append(f"Best answer on {best_question.skill} ({best.score:.0f}/100)")
    verdict = f"a {bucket_of(score).value} candidate"
    overall = (
        f"{len(analysed)} of {len(questions)} questions answered, overall score {score:.0f}/100 (the average of the "
        f"question scores, weighted by skill): {verdict} for {role.strip() or 'the role'}. {len(strong)} strong, "
        f"{len(analysed) - len(strong) - len(weak)} moderate and {len(weak)} weak answers."
    )
    return Assessment(
        score=clamp_score(score),
        resume_analysis=resume_analysis(questions, resume_text),
        overall=overall,
        why_hire=distinct(why_hire),
        why_not_hire=distinct(why_not_hire),
        provenance=provenance(OFFLINE_ENGINE),
    )


_REASON_STATUS = {"met": "Covered: ", "partly": "Partly covered: ", "missed": "Missed: "}


def _criteria(analysis: AnswerAnalysis, status: str) -> list[str]:
    """The criteria an analysis found met (or partly, or missed): its evidence, else (an analysis stored before
    evidence) its `Covered: <criterion>` reasons."""
    if analysis.evidence:
        return distinct(e.criterion for e in analysis.evidence if e.status.value == status)
    prefix = _REASON_STATUS[status]
    return distinct(
        reason.removeprefix(prefix).split(" \u2014 ")[0] for reason in analysis.reasons if reason.startswith(prefix)
    )


def resume_analysis(questions: Sequence[Question], resume_text: str | None) -> str:
    if not resume_text or not resume_text.strip():
        return "No resume text was available to analyse."
    wanted = list(dict.fromkeys(question.skill for question in questions))
    named = {name.casefold() for name in skills_in(resume_text)}
    words = set(content_stems(resume_text))
    matched = [skill for skill in wanted if skill.casefold() in named or set(content_stems(skill)) <= words]
    missing = [skill for skill in wanted if skill not in matched]
    if not matched:
        return "The resume does not mention the skills this interview assesses (" + ", ".join(wanted) + ")."
    text = "The resume mentions " + ", ".join(matched)
    return text + (f"; it does not mention {', '.join(missing)}." if missing else ", every skill assessed.")
