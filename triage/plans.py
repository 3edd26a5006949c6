"""The advice a result gives (``plans.yaml``) and the regions it depends on (``regions.yaml``).

Both files are validated whole when the rule base loads, so that a wrong-typed entry is one
error naming the file, the entry and the field, never a failure in the middle of a case.
Every text names its source; it may say for which dispositions (``shown_for``) and in which
regions (``regions``) it is shown, and may use a region's words in braces ("Call
{emergency_number}"), which are filled in by plain substitution, never by ``eval`` or
``str.format``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import RuleBaseError

_WORD = re.compile(r"\{([a-z_]+)\}")
_LOCALE = re.compile(r"[a-z]{2,3}_[A-Z]{2}")


@dataclass(frozen=True)
class Text:
    """One piece of advice: its words, its source, and where it belongs."""

    text: str
    source: str
    id: str = ""
    shown_for: tuple[str, ...] = ()  # the dispositions it is shown for (all when loaded)
    regions: tuple[str, ...] = ()  # empty: every region

    def applies(self, disposition: str, region: Region) -> bool:
        """Whether this text is shown for an outcome's disposition in a region."""
        return disposition in self.shown_for and (not self.regions or region.id in self.regions)

    def item(self, region: Region) -> dict[str, str]:
        """The text as a record item, with the region's words filled in."""
        out = {"text": region.fill(self.text), "source": self.source}
        if self.id:
            out = {"id": self.id, **out}
        return out


@dataclass(frozen=True)
class Region:
    """Where the person is: the words that differ (emergency number, urgent help)."""

    id: str
    name: str
    words: Mapping[str, str]
    sources: tuple[str, ...]
    locales: tuple[str, ...] = ()  # language settings that choose it (triage/regions.py)

    def fill(self, text: str) -> str:
        """``text`` with each ``{word}`` replaced by this region's words."""
        return _WORD.sub(lambda m: self.words[m.group(1)], text)


@dataclass(frozen=True)
class Exercise:
    """One stretch. ``omit_when``: the plan adjustments that leave it out; ``only_when``: if
    given, it is shown only when one of these adjustments applies (a replacement)."""

    name: str
    how: str
    hold_seconds: float
    repetitions: int
    source: str
    omit_when: tuple[str, ...] = ()
    only_when: tuple[str, ...] = ()

    def fits(self, adjust: frozenset[str]) -> bool:
        """Whether this exercise belongs in a plan with these adjustments."""
        if adjust.intersection(self.omit_when):
            return False
        return not self.only_when or bool(adjust.intersection(self.only_when))


@dataclass(frozen=True)
class Routine:
    title: str
    exercises: tuple[Exercise, ...]


@dataclass(frozen=True)
class ToolOption:
    id: str
    name: str
    source: str
    recommended: bool
    use_for: str = ""
    how: str = ""
    note: str = ""
    pros: tuple[str, ...] = ()
    cons: tuple[str, ...] = ()
    omit_when: tuple[str, ...] = ()  # the plan adjustments that leave this tool out


@dataclass(frozen=True)
class Tools:
    summary: Text
    options: tuple[ToolOption, ...]
    placement: Text
    evidence: Text
    avoid_when: Text
    avoid_finding: str


@dataclass(frozen=True)
class Plans:
    """The whole of plans.yaml and regions.yaml, typed."""

    disclaimer: Text
    safety_net: tuple[Text, ...]
    cautions: tuple[Text, ...]
    self_care: Text
    routines: Mapping[str, Routine]
    tools: Tools
    pt_find: tuple[Text, ...]
    pt_ask_about: tuple[Text, ...]
    pt_meanwhile: tuple[Text, ...]
    doctor: Mapping[str, Text]  # same_day, soon, tell_them
    emergency_now: Text
    emergency_meanwhile: Text
    # The plan adjustments advice rules name (``adjust``), each a text shown in the plan; the
    # exercises and tools say which of them leave them out or bring them in.
    adjustments: Mapping[str, Text] = field(default_factory=dict)
    # What a routine says when the adjustments leave none of its exercises.
    none_fit: Text | None = None
    regions: Mapping[str, Region] = field(default_factory=dict)
    default_region: str = ""

    def region(self, region_id: str | None) -> Region:
        """The region with this id, or the default one."""
        return self.regions[region_id or self.default_region]


# --- loading -----------------------------------------------------------------------------


class _Reader:
    """Typed access to one YAML file's data, each fault a RuleBaseError naming entry and field."""

    def __init__(
        self, file: str, sources: Mapping[str, Any], dispositions: tuple[str, ...], words: set[str]
    ):
        self.file, self.sources, self.dispositions, self.words = file, sources, dispositions, words
        self.regions: set[str] = set()
        self.adjustments: set[str] = set()

    def fail(self, where: str, message: str, fld: str | None = None) -> RuleBaseError:
        return RuleBaseError(self.file, message, item=where or None, field=fld)

    def mapping(self, where: str, raw: Any, fld: str | None = None) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise self.fail(where, "expected a mapping", fld)
        return raw

    def entries(self, where: str, raw: Any, key: str) -> list[Any]:
        value = self.mapping(where, raw).get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(where, "expected a non-empty list", key)
        return value

    def string(self, where: str, raw: dict[str, Any], key: str, required: bool = True) -> str:
        value = raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected some text", key)
        return value.strip()

    def strings(self, where: str, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, "expected a list of texts", key)
        return tuple(value)

    def number(self, where: str, raw: dict[str, Any], key: str, whole: bool = False) -> Any:
        value = raw.get(key)
        kinds: tuple[type[int] | type[float], ...] = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value < 1e6:
            raise self.fail(where, f"expected a {'whole ' if whole else ''}number above 0", key)
        return value

    def adjusts(self, where: str, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        """A list of plan adjustments' names (``omit_when``, ``only_when``), each defined."""
        names = self.strings(where, raw, key)
        for name in names:
            if name not in self.adjustments:
                raise self.fail(where, f"no adjustment {name!r} in adjustments", key)
        return names

    def source(self, where: str, raw: dict[str, Any]) -> str:
        sid = raw.get("source")
        if not isinstance(sid, str) or sid not in self.sources:
            raise self.fail(
                where, f"unknown or missing source {sid!r} (see sources.yaml)", "source"
            )
        return sid

    def known(self, where: str, raw: dict[str, Any], keys: set[str]) -> None:
        unknown = sorted(str(k) for k in set(raw) - keys)
        if unknown:
            raise self.fail(where, "unknown field", unknown[0])

    def text(self, where: str, raw: Any, extra: frozenset[str] = frozenset()) -> Text:
        """A text item: ``{text, source}``, optionally ``id``, ``shown_for``, ``regions``."""
        raw = self.mapping(where, raw)
        self.known(where, raw, {"id", "text", "source", "shown_for", "regions"} | set(extra))
        words = self.string(where, raw, "text")
        for name in _WORD.findall(words):
            if name not in self.words:
                raise self.fail(where, f"{{{name}}} is not a word every region defines", "text")
        return Text(
            text=words,
            source=self.source(where, raw),
            id=self.string(where, raw, "id", required=False),
            shown_for=self.choose(where, raw, "shown_for", self.dispositions),
            regions=self.choose(where, raw, "regions", tuple(self.regions), default=()),
        )

    def texts(self, where: str, raw: Any, key: str) -> tuple[Text, ...]:
        return tuple(
            self.text(f"{where}.{key}[{i}]" if where else f"{key}[{i}]", item)
            for i, item in enumerate(self.entries(where, raw, key))
        )

    def choose(
        self,
        where: str,
        raw: dict[str, Any],
        key: str,
        allowed: tuple[str, ...],
        default: tuple[str, ...] | None = None,
    ) -> tuple[str, ...]:
        """A list of names from ``allowed`` (default: all of them, or ``default``)."""
        value = raw.get(key)
        if value is None:
            return allowed if default is None else default
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(where, f"expected a list of names from: {', '.join(allowed)}", key)
        for v in value:
            if v not in allowed:
                raise self.fail(where, f"unknown name {v!r}; allowed: {', '.join(allowed)}", key)
        return tuple(v for v in allowed if v in value)


def load_regions(file: str, data: Any, sources: Mapping[str, Any]) -> tuple[dict[str, Region], str]:
    """regions.yaml: every region, with the same words each, and the default region's id."""
    r = _Reader(file, sources, (), set())
    data = r.mapping("", data)
    r.known("", data, {"default", "regions"})
    regions: dict[str, Region] = {}
    names: set[str] | None = None
    taken: set[str] = set()
    for i, raw in enumerate(r.entries("", data, "regions")):
        where = f"regions[{i}]"
        raw = r.mapping(where, raw)
        r.known(where, raw, {"id", "name", "locales", "source", "words"})
        rid = r.string(where, raw, "id")
        if rid in regions:
            raise r.fail(where, f"duplicate region id {rid!r}", "id")
        words = r.mapping(where, raw.get("words"), "words")
        for k, v in words.items():
            if not isinstance(k, str) or not _WORD.fullmatch("{" + k + "}"):
                raise r.fail(where, f"a word's name is lower case letters and _: {k!r}", "words")
            if not isinstance(v, str) or not v.strip():
                raise r.fail(where, f"expected some text for {k!r}", "words")
        if names is not None and set(words) != names:
            missing = sorted(names ^ set(words))[0]
            raise r.fail(where, f"every region defines the same words ({missing!r})", "words")
        names = set(words)
        cited = raw.get("source")
        if not isinstance(cited, list) or not cited:
            raise r.fail(where, "every region cites at least one source", "source")
        for sid in cited:
            if not isinstance(sid, str) or sid not in sources:
                raise r.fail(where, f"unknown source {sid!r} (see sources.yaml)", "source")
        locales = _locales(r, where, raw.get("locales", []), taken)
        regions[rid] = Region(rid, r.string(where, raw, "name"), dict(words), tuple(cited), locales)
    default = data.get("default")
    if not isinstance(default, str) or default not in regions:
        raise r.fail("", f"expected one of the region ids: {', '.join(regions)}", "default")
    return regions, default


def _locales(r: _Reader, where: str, value: Any, taken: set[str]) -> tuple[str, ...]:
    """A region's ``locales``: language_COUNTRY tags, each naming one region only."""
    if not isinstance(value, list):
        raise r.fail(where, "expected a list of settings such as en_GB", "locales")
    for tag in value:
        if not isinstance(tag, str) or not _LOCALE.fullmatch(tag):
            raise r.fail(where, f"expected a setting such as en_GB, not {tag!r}", "locales")
        if tag.lower() in taken:
            raise r.fail(where, f"{tag} already chooses another region", "locales")
        taken.add(tag.lower())
    return tuple(value)


def load_plans(
    file: str,
    data: Any,
    sources: Mapping[str, Any],
    dispositions: tuple[str, ...],
    regions: dict[str, Region],
    default_region: str,
) -> Plans:
    """plans.yaml, validated whole against the sources, dispositions and regions."""
    words = set(next(iter(regions.values())).words) if regions else set()
    r = _Reader(file, sources, dispositions, words)
    r.regions = set(regions)
    data = r.mapping("", data)
    r.known(
        "",
        data,
        {
            "disclaimer",
            "safety_net",
            "cautions",
            "self_care",
            "routines",
            "tools",
            "physical_therapist",
            "doctor",
            "emergency",
            "adjustments",
            "none_fit",
        },
    )

    def part(key: str) -> dict[str, Any]:
        return r.mapping(key, data.get(key))

    adjustments = _adjustments(r, data.get("adjustments", {}))
    r.adjustments = set(adjustments)
    pt, doctor, emergency, tools = (
        part("physical_therapist"),
        part("doctor"),
        part("emergency"),
        part("tools"),
    )
    r.known("physical_therapist", pt, {"find", "ask_about", "meanwhile"})
    r.known("doctor", doctor, {"same_day", "soon", "tell_them"})
    r.known("emergency", emergency, {"now", "meanwhile"})
    plans = Plans(
        disclaimer=r.text("disclaimer", data.get("disclaimer")),
        safety_net=r.texts("", data, "safety_net"),
        cautions=r.texts("", data, "cautions"),
        self_care=r.text("self_care", data.get("self_care")),
        routines=_routines(r, part("routines")),
        tools=_tools(r, tools),
        pt_find=r.texts("physical_therapist", pt, "find"),
        pt_ask_about=r.texts("physical_therapist", pt, "ask_about"),
        pt_meanwhile=r.texts("physical_therapist", pt, "meanwhile"),
        doctor={k: r.text(f"doctor.{k}", doctor.get(k)) for k in ("same_day", "soon", "tell_them")},
        emergency_now=r.text("emergency.now", emergency.get("now")),
        emergency_meanwhile=r.text("emergency.meanwhile", emergency.get("meanwhile")),
        adjustments=adjustments,
        none_fit=r.text("none_fit", data["none_fit"]) if "none_fit" in data else None,
        regions=regions,
        default_region=default_region,
    )
    if adjustments and plans.none_fit is None:
        raise r.fail("", "with adjustments, say what a routine left empty shows", "none_fit")
    for region in regions:  # wherever the person is, they are told how to find one
        if not any(not t.regions or region in t.regions for t in plans.pt_find):
            raise r.fail("physical_therapist.find", f"no text for region {region!r}", "regions")
    return plans


def _routines(r: _Reader, raw: dict[str, Any]) -> dict[str, Routine]:
    out = {}
    for name, routine in raw.items():
        where = f"routines.{name}"
        routine = r.mapping(where, routine)
        r.known(where, routine, {"title", "exercises"})
        exercises = []
        for i, ex in enumerate(r.entries(where, routine, "exercises")):
            at = f"{where}.exercises[{i}]"
            ex = r.mapping(at, ex)
            r.known(
                at,
                ex,
                {"name", "how", "hold_seconds", "repetitions", "source", "omit_when", "only_when"},
            )
            exercises.append(
                Exercise(
                    name=r.string(at, ex, "name"),
                    how=r.string(at, ex, "how"),
                    hold_seconds=r.number(at, ex, "hold_seconds"),
                    repetitions=r.number(at, ex, "repetitions", whole=True),
                    source=r.source(at, ex),
                    omit_when=r.adjusts(at, ex, "omit_when"),
                    only_when=r.adjusts(at, ex, "only_when"),
                )
            )
        out[str(name)] = Routine(r.string(where, routine, "title"), tuple(exercises))
    if not out:
        raise r.fail("routines", "expected at least one routine")
    return out


def _adjustments(r: _Reader, raw: Any) -> dict[str, Text]:
    """``adjustments``: by name, the text each plan adjustment adds to the plan."""
    raw = r.mapping("adjustments", raw)
    out = {}
    for name, item in raw.items():
        if not isinstance(name, str) or not _WORD.fullmatch("{" + name + "}"):
            raise r.fail("adjustments", f"a name is lower case letters and _: {name!r}")
        text = r.text(f"adjustments.{name}", item)
        out[name] = Text(text.text, text.source, id=name, shown_for=text.shown_for)
    return out


def _tools(r: _Reader, raw: dict[str, Any]) -> Tools:
    r.known("tools", raw, {"summary", "options", "placement", "evidence", "avoid_when"})
    options = []
    for i, opt in enumerate(r.entries("tools", raw, "options")):
        at = f"tools.options[{i}]"
        opt = r.mapping(at, opt)
        r.known(
            at,
            opt,
            {
                *("id", "name", "use_for", "how", "pros", "cons", "recommended", "note"),
                *("source", "omit_when"),
            },
        )
        recommended = opt.get("recommended", True)
        if not isinstance(recommended, bool):
            raise r.fail(at, "expected true or false", "recommended")
        options.append(
            ToolOption(
                id=r.string(at, opt, "id"),
                name=r.string(at, opt, "name"),
                source=r.source(at, opt),
                recommended=recommended,
                use_for=r.string(at, opt, "use_for", required=False),
                how=r.string(at, opt, "how", required=False),
                note=r.string(at, opt, "note", required=not recommended),
                pros=r.strings(at, opt, "pros"),
                cons=r.strings(at, opt, "cons"),
                omit_when=r.adjusts(at, opt, "omit_when"),
            )
        )
    avoid = r.mapping("tools.avoid_when", raw.get("avoid_when"))
    finding = r.string("tools.avoid_when", avoid, "finding")
    return Tools(
        summary=r.text("tools.summary", raw.get("summary")),
        options=tuple(options),
        placement=r.text("tools.placement", raw.get("placement")),
        evidence=r.text("tools.evidence", raw.get("evidence")),
        avoid_when=r.text("tools.avoid_when", avoid, extra=frozenset({"finding"})),
        avoid_finding=finding,
    )
