"""Candidate pledges from the text of a news article, found by rule rather than by a model.

An analyst gives the extractor a wire report or a joint statement; it proposes the pledges in
it, and the analyst accepts, edits or drops each one. The extractor reads the article sentence
by sentence and clause by clause, and keeps a clause when a commitment cue ("will", "agreed
to", "pledged", "stands ready to") binds an actor to a future act and nothing in the clause
takes the commitment back: a call on a third party ("urged Mali to"), a forecast or hope of
others ("analysts expect"), a topic only discussed, reported speech of someone who cannot
bind a government, or a pledge made long before ("first agreed ... in 2015").

Rules rather than a trained model because the candidates feed a ledger that has to be
explainable: each carries the cues that earned its confidence, and a wrong one can be traced
to a word list. The word lists (countries, organisations, cues, units, category keywords) are
JSON files in tracker/data, read once on first use so that importing this module costs nothing.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from tracker import datafiles
from tracker.numbers import NUMBER_WORDS, parse_figure, parse_number, words_to_number

__all__ = ["CATEGORIES", "MIN_CONFIDENCE", "Candidate", "extract_candidates", "find_article_date", "find_quantity"]

CATEGORIES = ("defence", "security", "trade", "energy", "health", "diplomacy", "other")

# Below this the rules found a cue but little else (no actor, or a subject that cannot act):
# such clauses cost the analyst more attention than they repay.
MIN_CONFIDENCE = 0.5

TITLE_LIMIT = 90


class _Regex:
    """A regular expression compiled on first use.

    The module holds some sixty patterns; compiling them at import would cost every `tracker`
    command about 100 ms, though most commands never extract anything.
    """

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(replacement, string, count)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pledge the rules think the article reports, for an analyst to confirm."""

    span: str
    title: str
    actors: tuple[str, ...]
    recipients: tuple[str, ...]
    target: dict[str, float | str] | None
    deadline: str | None
    condition: str | None
    category: str
    confidence: float
    cues: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "span": self.span,
            "title": self.title,
            "actors": list(self.actors),
            "recipients": list(self.recipients),
            "target": dict(self.target) if self.target is not None else None,
            "deadline": self.deadline,
            "condition": self.condition,
            "category": self.category,
            "confidence": self.confidence,
            "cues": list(self.cues),
        }


# --------------------------------------------------------------------------- word lists


def _load(name: str) -> Any:
    return datafiles.load(name)


def _phrase_pattern(phrases: Iterable[str], *, ignore_case: bool = True) -> re.Pattern[str]:
    """One regex for a list of whole-word phrases; longest first so "called on" beats "called".

    A possessive still counts as the word ("Russia's", "Modi’s"); any other apostrophe or hyphen
    makes it part of a longer word.
    """
    alternatives = sorted({p for p in phrases if p}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in alternatives) or r"(?!x)x"
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w-])(?!['’](?!s\b)\w)", flags)


class _Name(NamedTuple):
    entity: str  # canonical name; "" for a place whose name contains a country ("South China Sea")
    kind: str  # "country", "organisation" or "place"
    form: str  # "name", "demonym" or "capital"


class _Cue(NamedTuple):
    label: str
    weight: float
    kind: str  # "verb", "modal", "object" or "gerund": what may follow the cue
    past: bool


class _Lexicon:
    """Every word list, compiled once per process."""

    def __init__(self) -> None:
        countries = _load("countries.json")
        organisations = _load("organisations.json")
        commitment = _load("commitment_cues.json")
        refusals = _load("non_commitment_cues.json")
        units = _load("units.json")
        categories = _load("categories.json")

        self.names: dict[str, _Name] = {}
        for country in countries["countries"]:
            name = country["name"]
            self._add(name, _Name(name, "country", "name"), shout=True)
            for alias in country["aliases"]:
                self._add(alias, _Name(name, "country", "name"))
            for demonym in country["demonyms"]:
                self._add(demonym, _Name(name, "country", "demonym"))
                if demonym.endswith(("n", "i")):  # "Pakistanis", "Afghans"; not "Chineses"
                    self._add(demonym + "s", _Name(name, "country", "demonym"))
            for capital in country["capitals"]:
                self._add(capital, _Name(name, "country", "capital"), shout=True)
        for organisation in organisations["organisations"]:
            name = organisation["name"]
            self._add(name, _Name(name, "organisation", "name"))
            for alias in organisation["aliases"]:
                self._add(alias, _Name(name, "organisation", "name"))
            for metonym in organisation["metonyms"]:
                self._add(metonym, _Name(name, "organisation", "capital"), shout=True)
        for place in countries["not_entities"]:
            self.names[place] = _Name("", "place", "name")
        # Case matters: "US" is the country, "us" the pronoun; "WHO" the agency, "who" not.
        self.name_pattern = _phrase_pattern(self.names, ignore_case=False)

        self.cues = [_Cue(c["label"], float(c["weight"]), c["kind"], bool(c["past"])) for c in commitment["cues"]]
        groups = "|".join(f"(?P<c{index}>{c['pattern']})" for index, c in enumerate(commitment["cues"]))
        self.cue_pattern = re.compile(rf"(?<![\w'’-])(?:{groups})(?![\w'’-])", re.IGNORECASE)
        self.action_verbs = frozenset(commitment["action_verbs"])
        self.irregular_participles: dict[str, str] = dict(commitment["irregular_participles"])

        self.calls = _phrase_pattern(refusals["calls"])
        self.discussions = _phrase_pattern(refusals["discussions"])
        self.hopes = _phrase_pattern(refusals["hopes_and_forecasts"])
        self.non_party_speakers = _phrase_pattern(refusals["non_party_speakers"])
        self.non_party_subjects = _phrase_pattern(refusals["non_party_subjects"])
        self.background = _phrase_pattern(refusals["background"])
        negators = _phrase_pattern(refusals["negators"]).pattern
        self.negators = re.compile(rf"{negators}|n['’]t\b", re.IGNORECASE)
        self.non_pledge_predicates = frozenset(refusals["non_pledge_predicates"])

        self.currency_symbols: dict[str, str] = dict(units["currency_symbols"])
        self.currency_words: dict[str, str] = {k.lower(): v for k, v in units["currency_words"].items()}
        self.unit_words: dict[str, str] = {}
        for unit, surfaces in units["units"].items():
            for surface in surfaces:
                self.unit_words[surface.lower()] = unit
        # Letters-only codes ("USD", "Rs") need a word boundary before them, symbols ("$") do not.
        symbols = sorted(self.currency_symbols, key=len, reverse=True)
        self.symbol_pattern = "|".join(re.escape(s) for s in symbols if not s.isalpha() or len(s) > 1)

        self.category_keywords: dict[str, list[tuple[str, int]]] = {}
        for category, keywords in categories["categories"].items():
            for keyword, weight in keywords.items():
                self.category_keywords.setdefault(keyword.lower(), []).append((category, int(weight)))
        alternatives = sorted(self.category_keywords, key=len, reverse=True)
        self.category_pattern = re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(k) for k in alternatives) + ")", re.IGNORECASE
        )

    def _add(self, surface: str, name: _Name, *, shout: bool = False) -> None:
        self.names.setdefault(surface, name)
        if shout:  # datelines and headlines write places in capitals: "ISLAMABAD –"
            self.names.setdefault(surface.upper(), name)


@cache
def _lexicon() -> _Lexicon:
    return _Lexicon()


# --------------------------------------------------------------------------- article date

_MONTHS: dict[str, int] = {}
for _number in range(1, 13):
    _MONTHS[calendar.month_name[_number].lower()] = _number
    _MONTHS[calendar.month_abbr[_number].lower()] = _number
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_FULL_MONTH = r"(?P<month>" + "|".join(calendar.month_name[1:]) + r")"

_HEAD_DATES = (
    _Regex(r"(?<!\d)(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?!\d)"),
    _Regex(rf"(?<![\w]){_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)", re.I),
    _Regex(rf"(?<![\w])(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})(?!\d)", re.I),
)
# A line that only carries the date ("date 2021-04-07"), and the prefix some feeds put before
# the first sentence on the same line.
_DATE_LINE = _Regex(r"\s*date\s*[:=]?\s*\d{4}-\d{2}-\d{2}\s*(?:\n|$)", re.I)
_DATE_PREFIX = _Regex(r"\s*date\s*[:=]?\s*\d{4}-\d{2}-\d{2}\s+", re.I)
# "ISLAMABAD –", "WASHINGTON, May 1, 2023 —", "CARBIS BAY, England, June 13, 2021 (Reuters) -"
_DATELINE = _Regex(r"[A-Z][A-Z'’.]+(?:[ -][A-Z][A-Z'’.]+)*(?:,[^\n–—]{0,60}?)?\s*(?:\([^)\n]{1,40}\)\s*)?[-–—]{1,2}\s+")


def find_article_date(text: str) -> datetime.date | None:
    """The date at the head of an article: a "date 2021-04-07" line, a short heading line
    ("Brussels, 18 February 2022"), or a dateline ("ISLAMABAD, April 7, 2021 (Reuters) -").

    Only the head counts: a date in the body is what a pledge is about, not when it was made.
    """
    lines = [line for line in text.splitlines() if line.strip()][:3]
    for line in lines:
        dateline = _DATELINE.match(line.strip())
        stripped = line.strip()
        if _DATE_PREFIX.match(stripped) or _DATE_LINE.match(stripped):
            head = stripped[:40]
        elif dateline:
            head = stripped[: dateline.end()]
        elif len(stripped) <= 80:
            head = stripped
        else:
            head = stripped[:40]
        found = _first_date(head)
        if found is not None:
            return found
    return None


def _first_date(text: str) -> datetime.date | None:
    best: tuple[int, datetime.date] | None = None
    for pattern in _HEAD_DATES:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            month = int(groups["mon"]) if groups.get("mon") else _MONTHS[groups["month"].lower()]
            try:
                day = datetime.date(int(groups["year"]), month, int(groups["day"]))
            except ValueError:
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), day)
            break
    return best[1] if best else None


# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "lt", "col", "maj", "capt", "sgt", "prof", "gov",
    "sen", "rep", "rev", "hon", "no", "nos", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "e.g", "i.e", "vs", "approx", "inc", "ltd", "co", "corp", "mt", "ft", "dept",
    "est", "fig", "vol", "pres", "adm", "cmdr",
))  # fmt: skip
_SENTENCE_END = _Regex(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9$€£¥])")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans, one paragraph (line) at a time; the date line and dateline are not text."""
    spans: list[tuple[int, int]] = []
    head_lines = 0
    for line in re.finditer(r"[^\n]+", text):
        begin, end = line.start(), line.end()
        if not text[begin:end].strip():
            continue
        if head_lines < 3:
            head_lines += 1
            if _DATE_LINE.fullmatch(text[begin:end] + "\n") or _DATE_LINE.fullmatch(text[begin:end]):
                continue
            if prefix := _DATE_PREFIX.match(text, begin, end):
                begin = prefix.end()
            if dateline := _DATELINE.match(text, begin, end):
                begin = dateline.end()
        for stop in _SENTENCE_END.finditer(text, begin, end):
            before = text[begin : stop.start()]
            token = before.rsplit(None, 1)[-1].lstrip("(\"'“‘").lower() if before.strip() else ""
            if text[stop.start()] == "." and (token in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", token)):
                continue  # "U.S.", "Aug.", "Jr.", an initial: not the end of a sentence
            spans.append(_strip(text, begin, stop.end()))
            begin = stop.end()
        spans.append(_strip(text, begin, end))
    return [(start, stop) for start, stop in spans if stop > start]


def _strip(text: str, start: int, end: int, chars: str = " \t\r\n\f\v") -> tuple[int, int]:
    while start < end and text[start] in chars:
        start += 1
    while end > start and text[end - 1] in chars:
        end -= 1
    return start, end


# --------------------------------------------------------------------------- entities and people


class _Mention(NamedTuple):
    start: int
    end: int
    entity: str
    kind: str  # "country", "organisation" or "person"
    form: str


_TITLE_WORD = (
    r"(?i:foreign|prime|defen[cs]e|trade|energy|health|finance|economy|commerce|industry|interior|home|external|"
    r"affairs|agriculture|railways?|transport|deputy|vice|chief|executive|army|navy|commission|council|cabinet|"
    r"state|secretary(?:-general)?|minister|president|premier|chancellor|fm|pm|ambassador|envoy|special|"
    r"representative|high|commissioner|director(?:-general)?|chairman|chairwoman|chair|head|king|queen|emir|crown|"
    r"prince|sheikh|sultan|governor|senator|speaker|general|admiral|marshal|spokesman|spokeswoman|spokesperson|"
    r"counterpart|leader|top|diplomat|of|and)"
)
# A name stays on one line and stops before a possessive or a full stop: "Putin." is "Putin".
_NAME_WORD = r"[A-Z][\w'’-]*[a-z][\w-]*(?:['’][a-rt-z]\w*)?"
_NAME = (
    rf"(?P<name>{_NAME_WORD}(?:[ ]+(?:(?:da|de|do|dos|van|von|der|den|al|el|bin|ibn|la|le)[ ]+)*{_NAME_WORD}){{0,3}}"
    r"(?:[ ]+(?:Jr|Sr)\.?)?)"
)
_AFTER_ENTITY = _Regex(rf"(?:['’]s)?(?:\s+{_TITLE_WORD}){{1,4}},?\s+{_NAME}")
_BEFORE_ENTITY = _Regex(rf"{_NAME},\s+(?:the\s+)?$")
_TITLE_AFTER = _Regex(rf"(?:['’]s)?\s+{_TITLE_WORD}")
# "President Joko Widodo of Indonesia": the style of joint statements.
_TITLE_NAME_OF = _Regex(rf"(?:{_TITLE_WORD}\s+){{1,4}}{_NAME}\s+of\s+(?:the\s+)?$")
_NOT_NAME_WORDS = frozenset((
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Jr", "Jr.", "Sr", "Sr.",
    "Mr", "Mrs", "Ms", "Dr", "The", "His", "Her",
)) | frozenset(calendar.month_name[1:])  # fmt: skip


def _entity_mentions(text: str) -> list[_Mention]:
    lexicon = _lexicon()
    mentions = []
    for match in lexicon.name_pattern.finditer(text):
        name = lexicon.names[match.group()]
        if name.entity:
            mentions.append(_Mention(match.start(), match.end(), name.entity, name.kind, name.form))
    return mentions


def _people(text: str, mentions: list[_Mention]) -> dict[str, str]:
    """Who speaks for whom: "Russian Foreign Minister Sergey Lavrov" makes "Lavrov" mean Russia.

    Wire reports introduce each official once with a country or organisation before the title;
    later the surname alone stands for that country.
    """
    lexicon = _lexicon()
    found: dict[str, set[str]] = {}
    for mention in mentions:
        names = []
        after = _AFTER_ENTITY.match(text, mention.end)
        if after:
            names.append(after.group("name"))
        preceding = text[max(0, mention.start - 100) : mention.start]
        # Cheap tests first: these two patterns only ever match before ", " or "of ".
        if preceding.endswith((", ", ", the ")) and _TITLE_AFTER.match(text, mention.end):
            before = _BEFORE_ENTITY.search(preceding[-80:])
            if before:
                names.append(before.group("name"))
        if preceding.endswith(("of ", "of the ")):
            titled = _TITLE_NAME_OF.search(preceding)
            if titled:
                names.append(titled.group("name"))
        for full in names:
            words = [w for w in full.split() if w not in _NOT_NAME_WORDS and w not in lexicon.names]
            if not words:
                continue
            full_name = " ".join(words)
            for key in {full_name, *(w for w in words if len(w) >= 3 and w[0].isupper())}:
                found.setdefault(key, set()).add(mention.entity)
    # A surname shared by two officials of different countries names neither.
    return {name: next(iter(entities)) for name, entities in found.items() if len(entities) == 1}


def _person_mentions(text: str, people: dict[str, str], taken: list[_Mention]) -> list[_Mention]:
    if not people:
        return []
    pattern = _phrase_pattern(people, ignore_case=False)
    starts = [m.start for m in taken]  # taken is sorted and its mentions do not overlap
    result = []
    for match in pattern.finditer(text):
        index = bisect.bisect_left(starts, match.end())
        if index and taken[index - 1].end > match.start():
            continue  # inside a country's or place's name
        entity = people.get(" ".join(match.group().split()))
        if entity:
            result.append(_Mention(match.start(), match.end(), entity, "person", "person"))
    return result


def _parties(mentions: list[_Mention], lede_end: int) -> tuple[str, ...]:
    """The parties of the meeting the article reports: who "both sides" and "the two countries" are.

    A wire report names the parties in its headline or first sentence; of the actors named
    there, the two mentioned most often in the whole article. A lede that names one actor
    (a G7 communique) has one party, however often the body quotes Japan or Canada.
    """
    scores = Counter(mention.entity for mention in mentions)
    first_seen: dict[str, int] = {}
    for mention in mentions:
        first_seen.setdefault(mention.entity, mention.start)
    in_lede = {mention.entity for mention in mentions if mention.start < lede_end}
    pool = [entity for entity in scores if entity in in_lede] or list(scores)
    ranked = sorted(pool, key=lambda entity: (-scores[entity], first_seen[entity]))
    return tuple(ranked[:2])


# --------------------------------------------------------------------------- clauses

# Where one clause ends and the next begins. A relative clause keeps its "which" so that its
# subject reads as a pronoun that binds nobody, not as an empty subject inherited from before.
_HARD_BREAK = _Regex(
    r";\s+|,\s+(?:while|whereas|but)\s+|\s+but\s+|,\s+(?P<keep>(?:(?:under|through|by|in|with|for)\s+)?which\s+)"
)
_SOFT_BREAK = _Regex(r",\s+and\s+(?:that\s+)?|,\s+adding\s+(?:that\s+)?|,\s+saying\s+(?:that\s+)?|\s+and\s+that\s+")
_AND = _Regex(r"\s+and\s+")
_FINITE_VERB = _Regex(r"\b(?:is|are|was|were|has|have|had|will|would|shall|can|could|must|did|does|[a-z]{3,}ed)\b")
_REPORTING = _Regex(
    r"\b(?:said|says|say|told|tells|added|adds|noted|notes|stressed|announced|announces|confirmed|confirms|assured|"
    r"assures|declared|declares|stated|mentioned|insisted|explained|emphasi[sz]ed|underlined|reiterated|indicated|"
    r"wrote|writes|tweeted|argued|claimed|acknowledged|replied|warned|warns|predicted|according\s+to)\b"
)
_THAT = _Regex(r"\bthat\b")


def _clauses(text: str, start: int, end: int, cue_starts: list[int]) -> list[tuple[int, int]]:
    # Each cut is (where the clause before ends, where the next begins): the connective
    # between them ("; ", ", while ", " and ") belongs to neither.
    cuts: dict[int, int] = {}
    for match in _HARD_BREAK.finditer(text, start, end):
        cuts[match.start()] = match.start("keep") if match.group("keep") else match.end()
    for match in _SOFT_BREAK.finditer(text, start, end):
        cuts[match.start()] = match.end()
    # A bare "and" joins two clauses only when a commitment follows it closely and the words
    # before it already hold a verb: "Russia had delivered X and intends to" splits,
    # "Russia and Pakistan have agreed" does not.
    for match in _AND.finditer(text, start, end):
        window = text[match.end() : match.end() + 60].split()[:5]
        reach = match.end() + len(" ".join(window)) + 1
        if not any(match.end() <= cue < reach for cue in cue_starts):
            continue
        previous = max([start, *(begins for ends, begins in cuts.items() if ends <= match.start())])
        preceding = text[previous : match.start()]
        reporting = list(_REPORTING.finditer(preceding))
        if reporting:
            preceding = preceding[reporting[-1].end() :]
        if _FINITE_VERB.search(preceding):
            cuts[match.start()] = match.end()
    clauses = []
    position = start
    for clause_end, next_start in sorted(cuts.items()):
        if clause_end <= position or next_start >= end:
            continue  # a connective inside one already cut, or at the very end
        clauses.append(_strip(text, position, clause_end, " ,;:\t\n"))
        position = next_start
    clauses.append(_strip(text, position, end, " ,;:\t\n"))
    return [(a, b) for a, b in clauses if b > a]


# --------------------------------------------------------------------------- quantities


class _Quantity(NamedTuple):
    start: int
    end: int  # end of the unit words when there are any, else of the number
    value: float
    unit: str | None
    noun_phrase: str  # the words from after the number to the unit: "Covid-19 vaccine doses"
    number_text: str
    spelled: bool  # written in words: the title shows it in figures


_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_WORD_NUMBER = _Regex(
    rf"(?<![\w-])(?:an?\s+(?=(?:hundred|thousand|million|billion|trillion)\b))?(?:{_NUMBER_WORD})"
    rf"(?:(?:\s+and\s+|\s+|-)(?:{_NUMBER_WORD}))*(?![\w-])",
    re.IGNORECASE,
)
_SCALE = r"(?i:trillion|billion|million|thousand|tn|bn|mn|m|k|b)"
_FIGURE = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_STOP_BEFORE_UNIT = frozenset((
    "of", "to", "for", "in", "by", "on", "with", "from", "and", "or", "a", "an", "the", "than", "at", "as",
    "per", "over", "under",
))  # fmt: skip
_MORE = _Regex(r"\s*(?:more|additional|extra|further|others?)\b", re.IGNORECASE)


@cache
def _figure_pattern() -> re.Pattern[str]:
    symbols = _lexicon().symbol_pattern
    return re.compile(
        rf"(?<![\w.,$€£¥₹₽₺₩₦-])(?P<symbol>{symbols})?\s?(?P<low>{_FIGURE})"
        rf"(?:\s?(?:-|–|to)\s?(?:{symbols})?(?P<high>{_FIGURE})(?=\s?(?:{_SCALE}\b|%)))?"
        rf"(?:\s?(?P<scale>{_SCALE})(?![\w]))?(?![\w]|-\w|\.\d)"
    )


def _quantities(text: str, start: int, end: int) -> list[_Quantity]:
    """Every number in text[start:end] with the unit that follows it, if any."""
    found: list[_Quantity] = []
    for match in _figure_pattern().finditer(text, start, end):
        scale = match.group("scale")
        low = match.group("low")
        # A range pledges at least its lower bound: "US$2.5-3 billion" is 2.5 billion.
        value = parse_number(f"{low} {scale}") if scale else parse_figure(low)
        if value is None or not math.isfinite(value):
            continue
        symbol = match.group("symbol")
        currency = _lexicon().currency_symbols.get(symbol) if symbol else None
        found.append(_with_unit(text, match.start(), match.end(), end, value, currency, match.group(), spelled=False))
    for match in _WORD_NUMBER.finditer(text, start, end):
        words = match.group()
        # "two and three" are two numbers; "and" belongs to a number only after a hundred or more.
        stray_and = re.search(r"\b(?!hundred\b|thousand\b|million\b|billion\b|trillion\b)\w+\s+and\b", words, re.I)
        if stray_and:
            words = words[: stray_and.start() + len(stray_and.group().rsplit(None, 1)[0])]
        number = words_to_number(words)
        if number is None or number > 10**18:  # "trillion trillion ..." is no quantity, and overflows a float
            continue
        finish = match.start() + len(words)
        found.append(_with_unit(text, match.start(), finish, end, float(number), None, words, spelled=True))
    return sorted(found, key=lambda q: q.start)


def _with_unit(
    text: str, start: int, number_end: int, limit: int, value: float, currency: str | None, raw: str, *, spelled: bool
) -> _Quantity:
    lexicon = _lexicon()
    if currency:
        return _Quantity(start, number_end, value, currency, "", raw, spelled)
    rest = text[number_end:limit]
    if rest.startswith("%"):
        return _Quantity(start, number_end + 1, value, "%", "%", raw, spelled)
    words = re.match(r"[^,;:()\"“”.]*", rest)
    tokens = words.group().split() if words else []
    for index in range(min(4, len(tokens))):
        for size in (3, 2, 1):
            phrase = " ".join(tokens[index : index + size])
            key = phrase.lower()
            unit = lexicon.currency_words.get(key) or lexicon.unit_words.get(key) or lexicon.unit_words.get(phrase)
            if unit and index + size <= len(tokens):
                noun_phrase = " ".join(tokens[: index + size])
                unit_end = rest.find(phrase) + len(phrase) if phrase in rest else 0
                return _Quantity(start, number_end + unit_end, value, unit, noun_phrase, raw, spelled)
        if tokens[index].lower() in _STOP_BEFORE_UNIT:
            break
    return _Quantity(start, number_end, value, None, "", raw, spelled)


def find_quantity(text: str) -> dict[str, float | str] | None:
    """The first quantity with a unit in a phrase: "150,000 more doses" -> 150000 doses,
    "$3bn" -> 3e9 USD, "US$2.5-3 billion" -> 2.5e9 USD (a range counts at its lower bound).
    """
    for quantity in _quantities(text, 0, len(text)):
        if quantity.unit:
            return {"value": quantity.value, "unit": quantity.unit}
    return None


# --------------------------------------------------------------------------- deadlines


def _month_year(groups: dict[str, str | None], today: datetime.date | None) -> tuple[int, int] | None:
    month = _MONTHS[str(groups["month"]).lower().rstrip(".")]
    if groups.get("year"):
        return month, int(str(groups["year"]))
    if today is None:
        return None
    # "by October" said in August means this October; said in November, the next one.
    return month, today.year if month >= today.month else today.year + 1


def _count(text: str) -> int | None:
    text = text.strip().lower()
    if text in ("a", "an"):
        return 1
    figure = parse_figure(text)
    if figure is not None:
        return int(figure) if figure.is_integer() else None
    return words_to_number(text)


_BY = r"(?:by|before|until|till|through|thru|no\s+later\s+than|not\s+later\s+than)"
_COUNT = rf"(?P<count>\d+|an?|(?:{_NUMBER_WORD})(?:[\s-](?:{_NUMBER_WORD}))*)"
_PERIOD = r"(?P<unit>days?|weeks?|months?|years?)"
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}

_DEADLINES: list[tuple[str, _Regex]] = [
    (
        "day",
        _Regex(
            rf"\b(?:{_BY}|on)\s+(?:the\s+end\s+of\s+)?{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
            re.I,
        ),
    ),
    (
        "day",
        _Regex(
            rf"\b(?:{_BY}|on)\s+(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<year>\d{{4}})\b",
            re.I,
        ),
    ),
    ("iso", _Regex(rf"\b(?:{_BY}|on)\s+(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})\b", re.I)),
    (
        "month_end",
        _Regex(rf"\b(?:{_BY}|at)\s+(?:the\s+)?end\s+of\s+{_MONTH}(?:\s+(?P<year>\d{{4}}))?(?![\w])", re.I),
    ),
    (
        "year_end",
        _Regex(
            rf"\b(?:{_BY}|at|to)\s+(?:the\s+)?(?:end\s+of\s+(?:the\s+)?(?:year\s+)?|year[-\s]end\s+)(?P<year>\d{{4}})\b",
            re.I,
        ),
    ),
    (
        "this_year_end",
        _Regex(
            rf"\b(?:{_BY}|at|to|in)\s+(?:the\s+)?(?:end\s+of\s+(?P<which>this|the|next)\s+year|year[-\s]end)\b", re.I
        ),
    ),
    (
        "quarter",
        _Regex(
            r"\b(?:in|by|during|before|within)\s+(?:the\s+)?(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|4th|last)\s+quarter\s+of\s+(?P<year>\d{4})\b",
            re.I,
        ),
    ),
    ("quarter", _Regex(r"\b(?:in\s+|by\s+)?Q(?P<number>[1-4])\s+(?P<year>\d{4})\b")),
    (
        "half",
        _Regex(
            r"\b(?:in|by|during|before|within)\s+(?:the\s+)?(?P<ordinal>first|second|1st|2nd)\s+half\s+of\s+(?P<year>\d{4})\b",
            re.I,
        ),
    ),
    ("half", _Regex(r"\b(?:in\s+|by\s+)?H(?P<number>[12])\s+(?P<year>\d{4})\b")),
    ("mid", _Regex(rf"\b(?:{_BY}|in)\s+(?:the\s+)?(?:mid-?\s?|middle\s+of\s+)(?P<year>\d{{4}})\b", re.I)),
    (
        "after_condition",
        _Regex(
            rf"\b(?:within\s+|in\s+)?{_COUNT}\s+{_PERIOD}\s+(?:after|following|of)\s+(?P<event>the\s+[^,;.]+?(?:is|are|has\s+been|have\s+been)\s+\w+ed\b)",
            re.I,
        ),
    ),
    (
        "relative",
        _Regex(
            rf"\b(?:within|in|over|during)\s+(?:the\s+)?(?:next\s+|coming\s+|following\s+)?{_COUNT}\s+{_PERIOD}(?:['’]\s*time)?(?![\w-])",
            re.I,
        ),
    ),
    ("by_month", _Regex(rf"\b{_BY}\s+{_FULL_MONTH}(?:\s+(?P<year>\d{{4}}))?(?![\w]|\s+\d)", re.I)),
    ("in_month", _Regex(rf"\bin\s+{_MONTH}\s+(?P<year>\d{{4}})\b", re.I)),
    ("by_year", _Regex(rf"\b{_BY}\s+(?:the\s+year\s+)?(?P<year>\d{{4}})(?![\d-])", re.I)),
    ("in_year", _Regex(r"\bin\s+(?P<year>\d{4})(?![\d-])", re.I)),
    ("next_year", _Regex(r"\b(?:by|before|in|within)\s+(?:the\s+)?next\s+year\b", re.I)),
    ("this_year", _Regex(r"\b(?:later\s+)?this\s+year\b", re.I)),
]


class _Deadline(NamedTuple):
    text: str
    start: int
    end: int


def _deadline_text(kind: str, groups: dict[str, str | None], today: datetime.date | None) -> str | None:
    """Put a deadline phrase in the form the deadline grammar (tracker.dates) accepts."""
    year = int(str(groups["year"])) if groups.get("year") else None
    if kind == "day":
        month = _MONTHS[str(groups["month"]).lower().rstrip(".")]
        return datetime.date(year or 0, month, int(str(groups["day"]))).isoformat()
    if kind == "iso":
        return datetime.date.fromisoformat(str(groups["iso"])).isoformat()
    if kind in ("month_end", "by_month", "in_month"):
        found = _month_year(groups, today)
        if found is None:
            return None
        month, resolved = found
        if kind == "by_month":
            return f"by {calendar.month_name[month]} {resolved}"
        return f"{calendar.month_abbr[month]} {resolved}"
    if kind == "year_end":
        return f"end of {year}"
    if kind == "this_year_end":
        if today is None:
            return None
        return f"end of {today.year + 1 if groups.get('which') == 'next' else today.year}"
    if kind in ("quarter", "half"):
        number = groups.get("number") or str(_ORDINAL[str(groups["ordinal"]).lower()])
        return f"{'Q' if kind == 'quarter' else 'H'}{number} {year}"
    if kind == "mid":
        return f"mid-{year}"
    if kind in ("relative", "after_condition"):
        count = _count(str(groups["count"]))
        unit = str(groups["unit"]).lower().rstrip("s")
        # The grammar refuses offsets beyond a century: such a phrase is not a deadline.
        if count is None or count <= 0 or count * {"day": 1, "week": 7, "month": 30, "year": 365}[unit] > 36500:
            return None
        plural = unit if count == 1 else unit + "s"
        return f"{count} {plural} after condition" if kind == "after_condition" else f"within {count} {plural}"
    if kind == "by_year":
        return str(year)
    if kind == "in_year":
        # "in 2015" in a pledge clause is when something happened, not when it falls due.
        return str(year) if today is None or (year or 0) >= today.year else None
    if kind == "next_year":
        return str(today.year + 1) if today else None
    if kind == "this_year":
        return f"end of {today.year}" if today else None
    return None


def _find_deadline(text: str, start: int, end: int, today: datetime.date | None) -> _Deadline | None:
    best: _Deadline | None = None
    for kind, pattern in _DEADLINES:
        for match in pattern.finditer(text, start, end):
            try:
                normalised = _deadline_text(kind, match.groupdict(), today)
            except (ValueError, OverflowError, KeyError):
                normalised = None
            if normalised is None:
                continue
            latest = re.match(r",?\s+at\s+the\s+(?:latest|earliest)\b", text[match.end() : end])
            candidate = _Deadline(normalised, match.start(), match.end() + (latest.end() if latest else 0))
            if best is None or (candidate.start, -candidate.end) < (best.start, -best.end):
                best = candidate
            break
    return best


# --------------------------------------------------------------------------- conditions

_CONDITION = _Regex(
    r"(?<![\w])(?P<marker>as\s+soon\s+as|once(?!\s+(?:again|more|before|a|an|in)\b)|(?<!even\s)(?<!as\s)if(?!\s+(?:any|not|necessary|needed)\b)|"
    r"subject\s+to|provided\s+that|providing\s+that|on\s+condition\s+that|after)\s+(?P<body>[^,;.!?\"“”]+)",
    re.IGNORECASE,
)
_CONDITION_VERB = _Regex(r"\b(?:is|are|was|were|has|have|had|been|being|gets?|stops?|ends?|holds?|takes?\s+effect)\b")


class _Condition(NamedTuple):
    text: str
    start: int
    end: int


def _find_condition(text: str, start: int, end: int) -> _Condition | None:
    for match in _CONDITION.finditer(text, start, end):
        marker = match.group("marker").lower()
        body = match.group("body")
        # Stop at a second clause of the sentence and keep conditions short enough to read.
        body = re.split(r"\s+(?:and|but|while)\s+(?=\w+\s+(?:will|would|shall|agreed|said)\b)", body)[0]
        words = body.split()[:14]
        body = " ".join(words)
        if marker == "after" and not (
            _CONDITION_VERB.search(body)
            or re.match(r"(?:the\s+)?(?:signing|ratification|approval|completion|entry)\b", body)
        ):
            continue  # "after talks in Islamabad" says when, not on what condition
        condition_end = match.start("body") + len(match.group("body").rstrip())
        return _Condition(f"{match.group('marker')} {body}".strip(), match.start(), min(condition_end, end))
    return None


# --------------------------------------------------------------------------- speakers and subjects

_GROUP_OF_TWO = _Regex(
    r"\b(?:both(?:\s+the)?|the\s+two)\s+(?:sides|countries|nations|governments|leaders|presidents|prime\s+ministers|"
    r"premiers|ministers|foreign\s+ministers|delegations|unions|blocs|allies|partners|states|parties|capitals|"
    r"neighbou?rs|heads\s+of\s+state)\b|^\W*both\b",
    re.IGNORECASE,
)
_COLLECTIVE = _Regex(
    r"\b(?:they|leaders|ministers|allies|partners|members|participants|signatories|heads\s+of\s+state)\b", re.IGNORECASE
)
_FIRST_PERSON = _Regex(
    r"\b(?:we|i|our\s+(?:country|government|nation)|my\s+(?:country|government)|(?:his|her)\s+(?:country|government|nation))\b",
    re.IGNORECASE,
)
_THIRD_PERSON = _Regex(
    r"\b(?:he|she|the\s+(?:minister|president|prime\s+minister|premier|chancellor|envoy|official))\b", re.I
)
_DOCUMENT = _Regex(
    r"\b(?:statement|declaration|communiqu[eé]|joint\s+statement|agreement|memorandum|text|document)\b", re.I
)
_RELATIVE = _Regex(r"^\W*(?:which|who|that|this|it)\b", re.I)
_BLOCKING = frozenset((
    "in", "at", "with", "to", "from", "for", "on", "against", "between", "across", "into", "towards",
    "toward", "by", "over", "under", "after", "before", "during", "since", "about", "through", "among",
    "than", "like", "of",
))  # fmt: skip
_ROLE_NOUNS = frozenset((
    "leaders", "leader", "government", "governments", "members", "member", "president", "presidents",
    "minister", "ministers", "people", "prime", "head", "heads", "state", "states", "foreign",
))  # fmt: skip
_SKIPPED = frozenset(["the", "its", "their", "his", "her", "our", "a", "an", "this", "that", "these", "those"])
_FILLER = frozenset((
    "that", "and", "also", "but", "so", "then", "now", "further", "moreover", "meanwhile", "however", "in",
    "addition", "afterwards", "today", "yesterday", "on", "monday", "tuesday", "wednesday", "thursday",
    "friday", "saturday", "sunday", "jointly", "together", "too", "as", "well,", ":", '"', "“", "”", "'",
    "‘", "’", "-",
))  # fmt: skip


class _Speaker(NamedTuple):
    entities: tuple[str, ...] = ()
    non_party: bool = False
    document: bool = False


@dataclass(slots=True)
class _Discourse:
    """What the previous sentences settled: who "he" is, and who "the leaders" are."""

    parties: tuple[str, ...]
    last_speaker: tuple[str, ...] = ()
    last_group: tuple[str, ...] = ()


class _Subject(NamedTuple):
    actors: tuple[str, ...]
    how: str  # "named", "group", "pronoun", "inherited", "speaker", "context" or "none"
    text: str
    persons: bool = False


class _Article:
    """An article read once: its sentences, who is mentioned where, and the meeting's parties."""

    def __init__(self, text: str, article_date: datetime.date | None) -> None:
        self.text = text
        self.date = article_date
        self.sentences = _sentences(text)
        named = _entity_mentions(text)
        people = _people(text, named)
        self.mentions = sorted(named + _person_mentions(text, people, named))
        self._starts = [mention.start for mention in self.mentions]
        self.organisations = frozenset(m.entity for m in self.mentions if m.kind == "organisation")
        lede_end = self.sentences[min(2, len(self.sentences)) - 1][1] if self.sentences else 0
        self.parties = _parties(self.mentions, lede_end)

    def mentions_in(self, start: int, end: int) -> list[_Mention]:
        first = bisect.bisect_left(self._starts, start)
        last = bisect.bisect_left(self._starts, end)
        return [m for m in self.mentions[first:last] if m.end <= end]

    def blocked(self, mention: _Mention, floor: int) -> bool:
        """A mention after a preposition is a place or a partner, not who acts: "in Islamabad"."""
        words = re.findall(r"[\w'’-]+", self.text[max(floor, mention.start - 60) : mention.start].lower())
        while words and words[-1] in _SKIPPED:
            words.pop()
        if not words:
            return False
        if words[-1] == "of":
            return not (len(words) >= 2 and words[-2] in _ROLE_NOUNS)
        if words[-1] == "and" and len(words) >= 2:
            return False
        return words[-1] in _BLOCKING


def _entities(mentions: Iterable[_Mention]) -> tuple[str, ...]:
    ordered: list[str] = []
    for mention in mentions:
        if mention.entity not in ordered:
            ordered.append(mention.entity)
    return tuple(ordered)


def _speaker(article: _Article, start: int, end: int, discourse: _Discourse) -> _Speaker:
    lexicon = _lexicon()
    zone = article.text[start:end]
    non_party = bool(lexicon.non_party_speakers.search(zone))
    mentions = [m for m in article.mentions_in(start, end) if not article.blocked(m, start)]
    people = [m for m in mentions if m.kind == "person"]
    if people or mentions:
        # The speaker is the official, when named; "Brazilian Agriculture Minister Carlos Favaro"
        # is one speaker, not Brazil plus a person.
        chosen = (people or mentions)[0]
        entities: tuple[str, ...] = (chosen.entity,)
        if _GROUP_OF_TWO.search(zone) or (re.search(r"\band\b", zone) and len(_entities(mentions)) > 1):
            entities = _entities(mentions)
        return _Speaker(entities, non_party)
    if _GROUP_OF_TWO.search(zone):
        return _Speaker(discourse.parties, non_party)
    if _THIRD_PERSON.search(zone):
        return _Speaker(discourse.last_speaker, non_party)
    if _COLLECTIVE.search(zone):
        return _Speaker(discourse.last_group or discourse.parties, non_party)
    if _DOCUMENT.search(zone):
        return _Speaker(discourse.parties, non_party, document=True)
    return _Speaker((), non_party)


def _is_filler(text: str) -> bool:
    words = re.findall(r"[\w'’-]+", text.lower())
    return all(word in _FILLER for word in words)


def _subject(article: _Article, start: int, end: int, speaker: _Speaker, discourse: _Discourse) -> _Subject:
    zone = article.text[start:end]
    mentions = [m for m in article.mentions_in(start, end) if not article.blocked(m, start)]
    if _GROUP_OF_TWO.search(zone):
        return _Subject(article.parties or discourse.parties, "group", zone)
    if mentions:
        return _Subject(_entities(mentions), "named", zone, persons=all(m.kind == "person" for m in mentions))
    if _FIRST_PERSON.search(zone) and speaker.entities:
        return _Subject(speaker.entities, "pronoun", zone)
    if re.search(r"\b(?:he|she)\b", zone, re.I) and discourse.last_speaker:
        return _Subject(discourse.last_speaker, "pronoun", zone)
    if _COLLECTIVE.search(zone) or _FIRST_PERSON.search(zone):
        group = discourse.last_group or speaker.entities or discourse.parties
        return _Subject(group, "group" if group else "none", zone)
    if _RELATIVE.match(zone):
        return _Subject((), "context", zone)
    if _is_filler(zone):
        return _Subject((), "empty", zone)
    return _Subject((), "context", zone)


# --------------------------------------------------------------------------- titles


_LEADING_TIME = _Regex(
    r"^(?:(?:on\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|today|yesterday|also|now|then|soon|"
    r"still|eventually|however|therefore|on\s+\w+day|again)\s+|,\s*)+",
    re.IGNORECASE,
)
_NOUN_START = _Regex(r"^(?:a|an|the|its|their|his|her|our|this|these|those|new|more|[$€£¥\d])", re.IGNORECASE)
_TRAILING_FRAME = _Regex(
    r",?\s*(?:[\"”’]\s*)?,?\s*[^,]{0,80}?\b(?:said|says|told|added|according\s+to|announced|noted)\b.*$", re.DOTALL
)
_CUT_WORDS = (" to ", " by ", " through ", " under ", " for ", " that ", " which ", " so that ", " with ", " in ")
_DANGLING = frozenset((
    "to", "by", "for", "of", "and", "or", "the", "a", "an", "in", "on", "with", "at", "from", "that",
    "which", "its", "their", "his", "her",
))  # fmt: skip


def _base_form(word: str) -> str:
    """The imperative of a gerund or participle: "completing" -> "complete", "built" -> "build"."""
    lexicon = _lexicon()
    lower = word.lower()
    if lower in lexicon.irregular_participles:
        return lexicon.irregular_participles[lower]
    if lower in lexicon.action_verbs:  # "bring", "sing": already a base form
        return lower
    for suffix in ("ing", "ed"):
        if lower.endswith(suffix) and len(lower) >= len(suffix) + 2:
            stem = lower[: -len(suffix)]
            options = [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                options.insert(0, stem[:-1])
            if suffix == "ed" and stem.endswith("i"):
                options.insert(0, stem[:-1] + "y")
            for option in options:
                if option in lexicon.action_verbs:
                    return option
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
                return stem[:-1]
            return stem
    return lower


def _shorten(title: str) -> str:
    title = " ".join(title.split()).strip(" ,;:.\"“”'’")
    comma = title.find(", ", 10)
    if comma > 0:
        title = title[:comma]
    if len(title) > TITLE_LIMIT:
        cuts = [i for word in _CUT_WORDS for i in [title.rfind(word, 20, TITLE_LIMIT)] if i > 0]
        title = title[: max(cuts)] if cuts else title[:TITLE_LIMIT].rsplit(" ", 1)[0]
    words = title.split()
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words)


def _title(
    predicate: str,
    cue: _Cue,
    subject_text: str,
    quantity: _Quantity | None,
    borrowed: str,
) -> str:
    """A short imperative title from the words after the cue.

    "intends to supply one hundred and fifty thousand more" (the doses named earlier in the
    sentence) -> "Supply 150,000 more Covid-19 vaccine doses"; "committed to completing the
    certification" -> "Complete the certification"; "pledged $100 million" -> "Provide $100 million".
    """
    text = _LEADING_TIME.sub("", predicate.strip())
    text = re.sub(r"^to\s+", "", text, flags=re.IGNORECASE)
    if quantity is not None and quantity.spelled and quantity.value >= 1000 and quantity.number_text in text:
        text = text.replace(quantity.number_text, f"{quantity.value:,.0f}", 1)
    if borrowed:
        text = re.sub(
            r"\d[\d,]*(?:\s+(?:more|additional|extra|further))?", lambda m: f"{m.group()} {borrowed}", text, count=1
        )
    words = text.split()
    if not words:
        return ""
    first = words[0].lower()
    if cue.kind == "modal":
        if first == "not":
            words = ["do", *words]
        elif first in ("be", "been") and len(words) > 1:
            verb = _base_form(words[1])
            subject = re.sub(r"^\W*(?:that|and)\s+", "", subject_text.strip(), flags=re.I)
            words = [verb, *subject.split(), *words[2:]]
    elif first.endswith("ing") and len(first) > 4:
        words = [_base_form(first), *words[1:]]
    elif cue.kind in ("object", "gerund") and _NOUN_START.match(first):
        lead = "agree on" if cue.label.startswith("agree") else "commit to" if cue.kind == "gerund" else "provide"
        words = [*lead.split(), *words]
    title = " ".join(words)
    title = _shorten(title)
    return title[:1].upper() + title[1:]


# --------------------------------------------------------------------------- clauses to candidates


@dataclass(slots=True)
class _Draft:
    sentence: tuple[int, int]
    clause: tuple[int, int]
    region_end: int
    actors: tuple[str, ...]
    recipients: tuple[str, ...]
    target: dict[str, float | str] | None
    deadline: str | None
    condition: str | None
    category: str
    confidence: float
    cues: tuple[str, ...]
    title: str
    sentence_cues: int = field(default=0)


_PEOPLE_NOUNS = _Regex(
    r"\s+(?:parties|people|refugees|farmers|hospitals|forces|armed|government|authorities|students|technicians|"
    r"soldiers|troops|army|navy|children|families|patients|schools|communities|civilians)\b"
)
_RECIPIENT_TRIGGERS = frozenset((
    "to", "for", "with", "into", "in", "toward", "towards", "supply", "supplying", "provide", "providing",
    "help", "helping", "assist", "assisting", "support", "supporting", "train", "training", "give",
    "giving", "send", "sending", "bring",
))  # fmt: skip


def _recipients(article: _Article, start: int, end: int, actors: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    for mention in article.mentions_in(start, end):
        if mention.entity in actors or mention.entity in found:
            continue
        before = re.findall(r"[\w'’-]+", article.text[max(start, mention.start - 40) : mention.start].lower())
        while before and before[-1] in _SKIPPED:
            before.pop()
        triggered = bool(before) and (before[-1] in _RECIPIENT_TRIGGERS or (before[-1] == "and" and bool(found)))
        people = mention.form == "demonym" and bool(_PEOPLE_NOUNS.match(article.text, mention.end))
        if triggered or people:
            found.append(mention.entity)
    return tuple(found)


def _category(text: str, predicate: str) -> tuple[str, int]:
    lexicon = _lexicon()
    votes: Counter[str] = Counter()
    for source, factor in ((text, 1), (predicate, 1)):
        for match in lexicon.category_pattern.finditer(source):
            for category, weight in lexicon.category_keywords[match.group().lower()]:
                votes[category] += weight * factor
    if not votes:
        return "other", 0
    best = max(CATEGORIES, key=lambda category: (votes[category], -CATEGORIES.index(category)))
    return best, votes[best]


_ADVERBS = frozenset((
    "also", "further", "jointly", "soon", "now", "then", "still", "eventually", "gradually", "quickly", "swiftly",
))  # fmt: skip


def _first_word(text: str) -> str:
    """The first word of a predicate past its adverbs: "also further build" -> "build"."""
    words: list[str] = re.findall(r"[\w'’-]+", text.lower())
    for word in words:
        if word not in _ADVERBS:
            return word
    return ""


_NOUN_MARKERS = frozenset(("a", "an", "the", "its", "their", "his", "her", "our", "political", "free", "good"))


class _Reader:
    """Walks an article's sentences in order, carrying who spoke last across them."""

    def __init__(self, article: _Article) -> None:
        self.article = article
        self.lexicon = _lexicon()
        self.discourse = _Discourse(parties=article.parties, last_group=article.parties)
        self.fallback_category: str | None = None

    def read(self) -> list[_Draft]:
        drafts: list[_Draft] = []
        for sentence in self.article.sentences:
            drafts.extend(self._sentence(*sentence))
        return drafts

    def _cues(self, start: int, end: int) -> list[re.Match[str]]:
        text = self.article.text
        found = []
        for match in self.lexicon.cue_pattern.finditer(text, start, end):
            before = re.findall(r"[\w'’]+", text[max(start, match.start() - 30) : match.start()].lower())
            after = text[match.end() : match.end() + 3]
            # "the will of the people", "kept its promise", "an offer to": nouns, not commitments.
            if before and before[-1] in _NOUN_MARKERS:
                continue
            if after[:1] in (",", ".", ";", ":", ")") and match.group().lower() in ("will", "would", "shall"):
                continue
            found.append(match)
        return found

    def _sentence(self, start: int, end: int) -> list[_Draft]:
        text = self.article.text
        if text[start:end].rstrip("\"'”’ ").endswith("?"):
            return []
        cues = self._cues(start, end)
        clauses = _clauses(text, start, end, [c.start() for c in cues])
        drafts: list[_Draft] = []
        previous_subject: tuple[str, ...] = ()
        carried = _Speaker()
        clause_cues = 0
        for index, (c_start, c_end) in enumerate(clauses):
            cue = next((c for c in cues if c_start <= c.start() < c_end), None)
            limit = cue.start() if cue else c_end
            speaker, subject_start = self._frame(c_start, limit, cue, end, carried, previous_subject)
            if speaker.entities or speaker.non_party:
                carried = speaker
            if cue is None:
                lead_end = _FINITE_VERB.search(text, subject_start, c_end)
                lead = _subject(
                    self.article, subject_start, lead_end.start() if lead_end else c_end, speaker, self.discourse
                )
                if lead.actors:
                    previous_subject = lead.actors
                    self._remember(lead)
                continue
            clause_cues += 1
            # Following clauses with no cue of their own continue this pledge's span:
            # "agreed to settle trade in yuan, bypassing the dollar, and to set up a clearing house".
            region_end = c_end
            for next_start, next_end in clauses[index + 1 :]:
                if any(next_start <= c.start() < next_end for c in cues):
                    break
                region_end = next_end
            subject = _subject(self.article, subject_start, cue.start(), speaker, self.discourse)
            if subject.how in ("empty", "context") and not subject.actors:
                if previous_subject and subject.how == "empty":
                    subject = _Subject(previous_subject, "inherited", subject.text)
                elif subject.how == "empty" and speaker.entities:
                    subject = _Subject(speaker.entities, "speaker", subject.text)
                elif previous_subject or speaker.entities:
                    subject = _Subject(previous_subject or speaker.entities, "context", subject.text)
            draft = self._draft(start, end, c_start, c_end, region_end, cue, subject, speaker, subject_start)
            if subject.actors:
                previous_subject = subject.actors
                self._remember(subject)
            if draft is not None:
                drafts.append(draft)
        for draft in drafts:
            draft.sentence_cues = clause_cues
        return drafts

    def _remember(self, subject: _Subject) -> None:
        if subject.persons:
            self.discourse.last_speaker = subject.actors
        if len(subject.actors) > 1:
            self.discourse.last_group = subject.actors

    def _frame(
        self,
        c_start: int,
        limit: int,
        cue: re.Match[str] | None,
        s_end: int,
        carried: _Speaker,
        previous_subject: tuple[str, ...],
    ) -> tuple[_Speaker, int]:
        """Who reports the clause, and where the clause's own subject starts."""
        text = self.article.text
        reporting = list(_REPORTING.finditer(text, c_start, limit))
        if reporting:
            verb = reporting[-1]
            comma = text.rfind(",", c_start, verb.start())
            if comma > c_start and _FINITE_VERB.search(text, c_start, comma):
                # "Russia had already delivered X, Lavrov said": the frame comes after the subject.
                speaker = _speaker(self.article, comma + 1, verb.start(), self.discourse)
                if speaker.entities:
                    self.discourse.last_speaker = speaker.entities
                return speaker, c_start
            subject_start = verb.end()
            that = _THAT.search(text, verb.end(), limit)
            if that and len(text[verb.end() : that.start()].split()) <= 8:
                subject_start = that.end()
            if _is_filler(text[c_start : verb.start()]):
                # "..., and said Turkey stands ready": the speaker is the previous clause's subject.
                speaker = _Speaker(previous_subject or carried.entities, carried.non_party)
            else:
                speaker = _speaker(self.article, c_start, verb.start(), self.discourse)
            if speaker.entities:
                self.discourse.last_speaker = speaker.entities
                if len(speaker.entities) > 1 or self._is_group(speaker.entities):
                    self.discourse.last_group = speaker.entities
            return speaker, subject_start
        if carried.entities or carried.non_party:
            return carried, c_start
        if cue is not None:
            trailing = _REPORTING.search(text, cue.end(), s_end)
            if trailing:
                # '..., the statement says' or '," Lavrov said': the speaker sits between the last
                # comma or closing quote and the verb; '," said a spokesperson for X': after it.
                marks = [m.end() for m in re.finditer(r"[,\"”’]", text[cue.end() : trailing.start()])]
                left_start = cue.end() + marks[-1] if marks else trailing.start()
                if text[left_start : trailing.start()].strip():
                    speaker = _speaker(self.article, left_start, trailing.start(), self.discourse)
                else:
                    right_end = text.find(",", trailing.end(), s_end)
                    speaker = _speaker(
                        self.article, trailing.end(), right_end if right_end > 0 else s_end, self.discourse
                    )
                return speaker, c_start
        return _Speaker(), c_start

    def _is_group(self, entities: tuple[str, ...]) -> bool:
        return any(entity in self.article.organisations for entity in entities)

    def _refused(self, pre: str, cue: _Cue, predicate: str) -> bool:
        """Whether the words around the cue take the commitment back."""
        lexicon = self.lexicon
        if lexicon.calls.search(pre) or lexicon.discussions.search(pre) or lexicon.hopes.search(pre):
            return True
        tail = " ".join(pre.split()[-3:])
        if lexicon.negators.search(tail):
            return True
        if cue.past and lexicon.background.search(pre):
            return True
        if cue.past and (year := re.search(r"\bin\s+(\d{4})\b", predicate)):
            today = self.article.date
            if today is not None and int(year.group(1)) < today.year:
                return True
        if cue.kind == "modal":
            first = _first_word(predicate)
            if first == "not":
                first = _first_word(predicate.split("not", 1)[1])
            if first in ("be", "been"):
                words = re.findall(r"[\w'’-]+", predicate.lower())
                participle = words[words.index(first) + 1] if words.index(first) + 1 < len(words) else ""
                if _base_form(participle) not in lexicon.action_verbs:
                    return True  # "would be hard to track", "will be remembered"
            elif first in lexicon.non_pledge_predicates:
                return True
            elif cue.label == "would" and first not in lexicon.action_verbs:
                return True  # reported "would" binds only with an act: "would raise", not "would comment"
        return False

    def _draft(
        self,
        s_start: int,
        s_end: int,
        c_start: int,
        c_end: int,
        region_end: int,
        match: re.Match[str],
        subject: _Subject,
        speaker: _Speaker,
        subject_start: int,
    ) -> _Draft | None:
        article = self.article
        text = article.text
        cue = self.lexicon.cues[int(str(match.lastgroup)[1:])]
        pre = text[c_start : match.start()]
        predicate = text[match.end() : c_end]
        if self._refused(pre, cue, predicate):
            return None
        if speaker.non_party or self.lexicon.non_party_subjects.search(text[subject_start : match.start()]):
            return None
        passive = cue.kind == "modal" and _first_word(predicate) in ("be", "been")

        deadline = _find_deadline(text, match.end(), c_end, article.date) or _find_deadline(
            text, c_start, match.start(), article.date
        )
        condition = _find_condition(text, c_start, c_end)
        if deadline is not None and deadline.text.endswith("after condition") and condition is None:
            event = re.search(r"\b(?:after|following|of)\s+(.+)$", text[deadline.start : deadline.end])
            if event:
                condition = _Condition(f"after {event.group(1)}", deadline.start, deadline.end)

        skipped = [(deadline.start, deadline.end)] if deadline else []
        if condition:
            skipped.append((condition.start, condition.end))
        quantity, borrowed = self._target(s_start, c_start, match.end(), c_end, skipped, passive)

        recipients = _recipients(article, match.end(), c_end, subject.actors)
        if not recipients:
            recipients = self._borrowed_recipients(s_start, c_start, subject)
        if (
            not recipients
            and len(article.parties) == 2
            and len(subject.actors) == 1
            and subject.actors[0] in article.parties
        ):
            # A one-sided pledge at a two-party meeting is made to the other party.
            recipients = tuple(p for p in article.parties if p != subject.actors[0])

        predicate_text = self._without(match.end(), c_end, skipped)
        predicate_text = _TRAILING_FRAME.sub("", predicate_text)
        title = _title(predicate_text, cue, text[subject_start : match.start()], quantity, borrowed)
        category, votes = _category(text[s_start:s_end], predicate_text)
        if votes == 0:
            category = self._article_category()

        confidence = cue.weight
        cues = [cue.label]
        if cue.label in ("reaffirmed commitment to", "expressed commitment to") and _NOUN_START.match(
            _first_word(predicate_text) or "-"
        ):
            # Reaffirming a commitment to a framework ("to the partnership", "to the Paris
            # Agreement") restates a standing position; only a target or date makes it checkable.
            confidence -= 0.45
            cues.append("reaffirmation")
        bonus = {"named": 0.15, "group": 0.15, "pronoun": 0.15, "inherited": 0.1, "speaker": 0.05}
        if subject.how in bonus and subject.actors:
            confidence += bonus[subject.how]
            cues.append(f"{subject.how} actor")
        elif subject.actors:
            confidence -= 0.2
            cues.append("actor from context")
        else:
            confidence -= 0.3
            cues.append("no actor found")
        if passive:
            confidence -= 0.1
            cues.append("passive")
        target: dict[str, float | str] | None = None
        if quantity and quantity.unit:
            target = {"value": quantity.value, "unit": quantity.unit}
        if target:
            confidence += 0.1
            cues.append("target")
        if deadline:
            confidence += 0.1
            cues.append("deadline")
        if condition:
            confidence += 0.05
            cues.append("condition")
        confidence = round(min(1.0, max(0.0, confidence)), 2)
        return _Draft(
            sentence=(s_start, s_end),
            clause=(c_start, c_end),
            region_end=region_end,
            actors=subject.actors,
            recipients=recipients,
            target=target,
            deadline=deadline.text if deadline else None,
            condition=condition.text if condition else None,
            category=category,
            confidence=confidence,
            cues=tuple(cues),
            title=title,
        )

    def _without(self, start: int, end: int, skipped: list[tuple[int, int]]) -> str:
        pieces = []
        position = start
        for skip_start, skip_end in sorted(skipped):
            if skip_end <= start or skip_start >= end:
                continue
            pieces.append(self.article.text[position : max(position, skip_start)])
            position = max(position, skip_end)
        pieces.append(self.article.text[position:end])
        joined = " ".join(piece.strip() for piece in pieces if piece.strip())
        return re.sub(r"\s+([,;.])", r"\1", joined)

    def _target(
        self,
        s_start: int,
        c_start: int,
        p_start: int,
        c_end: int,
        skipped: list[tuple[int, int]],
        passive: bool,
    ) -> tuple[_Quantity | None, str]:
        """The pledge's quantity, and the unit words borrowed when the clause leaves them out:
        "delivered fifty thousand doses ... and intends to supply one hundred and fifty thousand more".
        """
        text = self.article.text

        def free(quantity: _Quantity) -> bool:
            return not any(a <= quantity.start < b for a, b in skipped)

        in_predicate = [q for q in _quantities(text, p_start, c_end) if free(q)]
        for quantity in in_predicate:
            if quantity.unit:
                return quantity, ""
        for quantity in in_predicate:
            following = text[quantity.end : quantity.end + 15]
            more = _MORE.match(following)
            rest = text[quantity.end + (more.end() if more else 0) : c_end].strip(' .,;"”')
            if more or not rest:
                earlier = [q for q in _quantities(text, s_start, p_start) if q.unit]
                if earlier:
                    source = earlier[-1]
                    borrowed = _Quantity(
                        quantity.start, quantity.end, quantity.value, source.unit, source.noun_phrase,
                        quantity.number_text, quantity.spelled,
                    )  # fmt: skip
                    return borrowed, source.noun_phrase
        for quantity in in_predicate:
            if re.search(r"\bto\s*$", text[p_start : quantity.start]):
                named = [
                    unit
                    for word in re.findall(r"[\w-]+", text[p_start : quantity.start])
                    if (unit := _lexicon().unit_words.get(word.lower()))
                ]
                head = re.search(r"\bnumber\s+of\s+((?:[\w-]+\s+){0,4})", text[p_start : quantity.start])
                if head:
                    # "the number of scholarships for students to 400" counts scholarships.
                    counted = [u for w in head.group(1).split() if (u := _lexicon().unit_words.get(w.lower()))]
                    named = counted[:1] or named
                if named:
                    return _Quantity(
                        quantity.start, quantity.end, quantity.value, named[-1], "", quantity.number_text,
                        quantity.spelled,
                    ), ""  # fmt: skip
        if passive:
            for quantity in _quantities(text, c_start, p_start):
                if quantity.unit:
                    return quantity, ""
        return None, ""

    def _borrowed_recipients(self, s_start: int, c_start: int, subject: _Subject) -> tuple[str, ...]:
        if subject.how != "inherited":
            return ()
        return _recipients(self.article, s_start, c_start, subject.actors)

    def _article_category(self) -> str:
        if self.fallback_category is None:
            category, votes = _category(self.article.text, "")
            self.fallback_category = category if votes else "other"
        return self.fallback_category


# --------------------------------------------------------------------------- assembly

_CONTENT_STOP = frozenset((
    "the", "a", "an", "of", "to", "for", "in", "on", "with", "and", "or", "its", "their", "our", "his",
    "her", "at", "by", "from", "least", "more", "than", "new", "this", "that",
))  # fmt: skip


def _content_words(title: str) -> set[str]:
    lexicon = _lexicon()
    words = re.findall(r"[a-z][a-z'-]+", title.lower())
    return {
        w
        for word in words
        for w in word.split("-")
        if len(w) > 2
        and w not in _CONTENT_STOP
        and w not in lexicon.currency_words
        and w not in lexicon.unit_words
        and w not in ("billion", "million", "trillion", "thousand")
    }


def _specificity(draft: _Draft) -> tuple[int, float]:
    return (sum(x is not None for x in (draft.target, draft.deadline, draft.condition)), draft.confidence)


def _merge_restatements(drafts: list[_Draft]) -> list[_Draft]:
    """Drop a pledge that restates another: a wire lede sums up the pledge the body details.

    Two drafts restate each other when the same actors pledge under the same category with
    titles sharing two content words, and no target or deadline tells them apart.
    """
    dropped: set[int] = set()
    for i, first in enumerate(drafts):
        for j in range(i + 1, len(drafts)):
            second = drafts[j]
            if i in dropped or j in dropped:
                continue
            if set(first.actors) != set(second.actors) or first.category != second.category:
                continue
            if first.target and second.target and first.target != second.target:
                continue
            if first.deadline and second.deadline and first.deadline != second.deadline:
                continue
            if len(_content_words(first.title) & _content_words(second.title)) < 2:
                continue
            dropped.add(j if _specificity(first) >= _specificity(second) else i)
    return [draft for index, draft in enumerate(drafts) if index not in dropped]


def _span(text: str, draft: _Draft) -> str:
    if draft.sentence_cues <= 1:
        start, end = draft.sentence
    else:
        start, end = _strip(text, draft.clause[0], draft.region_end, " ,;:\t\n")
        lead = re.match(r"(?:(?:and|but|while|whereas|that)\s+)+", text[start:end], re.IGNORECASE)
        if lead and lead.end() < end - start:
            start += lead.end()
    return text[start:end]


def extract_candidates(text: str, *, article_date: datetime.date | None = None) -> list[Candidate]:
    """Candidate pledges in an article, in the order the article makes them.

    `article_date` anchors relative deadlines ("by the end of the year"); by default the date
    at the head of the text. Without either, such deadlines are left out rather than guessed.
    """
    if article_date is None:
        article_date = find_article_date(text)
    article = _Article(text, article_date)
    drafts = [d for d in _Reader(article).read() if d.confidence >= MIN_CONFIDENCE and d.title]
    candidates = []
    for draft in _merge_restatements(drafts):
        candidates.append(
            Candidate(
                span=_span(text, draft),
                title=draft.title,
                actors=draft.actors,
                recipients=draft.recipients,
                target=draft.target,
                deadline=draft.deadline,
                condition=draft.condition,
                category=draft.category,
                confidence=draft.confidence,
                cues=draft.cues,
            )
        )
    return candidates
