"""Inference: the rule base compiled into an experta engine, and one evaluation per call.

Three kinds of experta rules are generated from the data rules:

- a *trigger* rule per data rule (its answer conditions as one pattern on the ``Holds`` fact
  that the compiled alpha network declares for them, see alpha.py, the others as patterns on
  derived facts; the right-hand side records the firing and concludes a disposition, a
  Trigger for softening, a Finding or a caution; a disposition is declared as a Verdict fact
  only when it is more urgent than any before);
- the resolution rules, which read Trigger facts (unsure softening) or the absence of any
  Verdict (the default disposition);
- *need* rules: for each data rule and each question it reads, a need: "this question is
  unanswered, every other condition of the rule can still hold, and no verdict at least as
  urgent as the rule's exists". Needs that share the verdict gate are one rule, whose fact
  (from the alpha network, once the conclusions are in) lists those whose answer conditions
  can still hold. Their Need facts are the next-question protocol and the list of unanswered
  questions, and they stop the interview as soon as nothing can change the outcome.

Every compiled rule gets its own salience from the rule files' order, so the firing order is
total and does not depend on ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from operator import itemgetter
from types import CodeType
from typing import Any, NamedTuple

from experta import AS, NOT, Fact, KnowledgeEngine, P, Rule
from experta.agenda import Agenda
from experta.fact import InitialFact

from .alpha import DEFINITE, POSSIBLE, UNKNOWN, AlphaNetwork, Test
from .conditions import BLOCKING_TESTS, Condition
from .derived import Derived
from .facts import Answers, FactList, Finding, Need, Trigger, Verdict, new_fact
from .knowledge import KRule, Outcome, RuleBase
from .matcher import LeanReteMatcher
from .questions import Group, Question
from .relevance import reaches
from .strategy import SalienceStrategy


class Firing(NamedTuple):
    """One data rule that fired, with the answers it matched and what it concluded.

    A named tuple rather than a frozen dataclass: it is as immutable, and one is built per
    firing, where a frozen dataclass sets each field through ``object.__setattr__``.
    """

    rule: KRule
    matched: dict[str, Any]
    unsure: tuple[str, ...]
    concluded: dict[str, Any]
    softens: str | None = None  # for a resolution rule: the trigger rule it softened


class VerdictInfo(NamedTuple):
    """A disposition some rule concluded; ``via`` names the resolution rule that softened it."""

    rule: str
    outcome: Outcome
    via: str | None = None
    unsure: tuple[str, ...] = ()


@dataclass
class Evaluation:
    """Everything one run of the engine concluded for one set of answers."""

    answers: dict[str, Any]
    firings: list[Firing]
    verdicts: list[VerdictInfo]
    needs: dict[str, list[str]]  # question id -> ids of the rules that need it
    questions: dict[str, Question]
    groups: Mapping[str, Group] = field(default_factory=dict)
    need_rank: dict[str, int] = field(
        default_factory=dict
    )  # the most urgent outcome it may lead to
    ask_first_rank: int = 0  # questions that may lead this far are asked before the others

    @property
    def outcome(self) -> Outcome:
        """The most urgent verdict (the first concluded, among equals)."""
        return max(self.verdicts, key=lambda v: v.outcome.rank).outcome

    @property
    def fired(self) -> list[str]:
        """Ids of the data rules that fired, in firing order."""
        return [f.rule.id for f in self.firings]

    @property
    def unanswered(self) -> list[str]:
        """Questions that a rule which could still change the outcome needs, in asking order."""
        return sorted(self.needs, key=lambda q: self.questions[q].order)

    @property
    def next_question(self) -> Question | None:
        """The question an interview asks next, or None when the result is final."""
        screen = self.next_questions
        return screen[0] if screen else None

    @property
    def next_questions(self) -> list[Question]:
        """The next screen: the next needed question, with the other needed members of its
        group (in asking order); empty when the result is final."""
        return self.questions_after()

    def questions_after(self, passed: Collection[str] = ()) -> list[Question]:
        """The next screen once the questions ``passed`` over are left aside (a case that
        does not answer them, replayed by `triage explain`).

        Red flags first: a question that can still lead to an ``ask_first`` outcome (an
        emergency) comes before any other; otherwise the catalogue's order decides.
        """
        pending = [q for q in self.needs if q not in passed]
        if not pending:
            return []
        first = self.questions[
            min(
                pending,
                key=lambda q: (
                    self.need_rank.get(q, -1) < self.ask_first_rank,
                    self.questions[q].order,
                ),
            )
        ]
        if not first.group:
            return [first]
        return [self.questions[q] for q in self.groups[first.group].members if q in pending]

    @property
    def screen(self) -> Screen | None:
        """The next screen with its group and progress, or None when the result is final."""
        questions = self.next_questions
        if not questions:
            return None
        group = self.groups.get(questions[0].group) if questions[0].group else None
        return Screen(tuple(questions), group, self.progress)

    @property
    def progress(self) -> Progress:
        """Screens answered so far, and screens that may still be needed (the engine's count,
        from the answers alone: a group asked over two screens, which happens when a member is
        needed only after another's answer, counts as one)."""
        return Progress(
            _screens(self.answers, self.questions), _screens(self.needs, self.questions)
        )

    @property
    def unsure_answers(self) -> list[str]:
        """The questions answered ``unsure``, in catalogue order."""
        return [q for q, v in self.answers.items() if v == "unsure"]


@dataclass(frozen=True)
class Progress:
    """``done`` screens answered; at most ``left`` still to come (including the next)."""

    done: int
    left: int

    @property
    def step(self) -> int:
        """The number of the next screen."""
        return self.done + 1

    @property
    def total(self) -> int:
        """About how many screens the whole interview takes, as far as the engine can tell."""
        return self.done + self.left


@dataclass(frozen=True)
class Screen:
    """What an interview shows next: one question, or the needed members of a group."""

    questions: tuple[Question, ...]
    group: Group | None
    progress: Progress


def _screens(question_ids: Iterable[str], questions: Mapping[str, Question]) -> int:
    """How many screens these questions take: a group's members share one."""
    return len({questions[q].group or q for q in question_ids})


class TriageEngine:
    """The compiled rule base. Build once per process; ``evaluate`` is cheap and repeatable.

    An experta engine holds one case's facts, agenda and firings while it runs, so an engine
    instance must never serve two evaluations at once: each thread gets its own instances
    (a server runs FHIR and CDS Hooks requests in a thread pool, and a shared instance let
    one person's answers change another's result). The compiled classes, which hold no case
    state, are built once and shared.
    """

    def __init__(
        self,
        rulebase: RuleBase,
        factories: Mapping[bool, Callable[[], _Engine]] | None = None,
    ):
        """``factories`` (for tests): how to make an engine with and without need rules,
        instead of compiling ``rulebase``; each thread still gets its own."""
        self.rulebase = rulebase
        self._factories = dict(factories or {})
        self._order = sorted(rulebase.questions.values(), key=lambda q: q.order)
        self._rule_order = {r.id: r.order for r in rulebase.rules}
        self._local = threading.local()
        self._build = threading.Lock()
        self._classes: dict[bool, type[_Engine]] = {}
        self._first: Evaluation | None = None  # the evaluation of no answers, never handed out

    def _compiled(self, with_needs: bool) -> type[_Engine]:
        """The engine class, with or without need rules, compiled once for every thread."""
        cls = self._classes.get(with_needs)
        if cls is None:
            with self._build:
                cls = self._classes.get(with_needs)
                if cls is None:
                    cls = compile_rulebase(self.rulebase, with_needs=with_needs)
                    if cls.alpha is not None:
                        cls.alpha.compile()  # before any thread can ask for its facts
                    self._classes[with_needs] = cls
        return cls

    def _instance(self, with_needs: bool) -> _Engine:
        """This thread's engine: need rules test for an unanswered question, so with every
        answer given none can fire, and such cases run on the smaller network of conclusion
        rules alone. Each is built when first needed (a batch of complete cases never builds
        the larger one)."""
        engines: dict[bool, _Engine] | None = getattr(self._local, "engines", None)
        if engines is None:
            engines = self._local.engines = {}
        ke = engines.get(with_needs)
        if ke is None:
            make = self._factories.get(with_needs) or self._compiled(with_needs)
            ke = engines[with_needs] = make()
        return ke

    @property
    def _full(self) -> _Engine:
        return self._instance(True)

    @property
    def _conclude(self) -> _Engine:
        return self._instance(False)

    def warm(self) -> None:
        """Build the network for complete answers and its alpha network's code now (before
        forking workers, say), rather than on the first case."""
        alpha = self._conclude.alpha
        if alpha is not None:
            alpha.facts({})

    def evaluate(self, answers: Mapping[str, Any]) -> Evaluation:
        """Run the rules over validated answers (unknown ids must already be rejected).

        The first screen of every interview is the same: it is evaluated once per rule
        base, and each caller gets its own copy of it.
        """
        if not answers:
            first = self._first
            if first is None:
                first = self._first = self._evaluate({})
            return _copy(first)
        return self._evaluate(answers)

    def _evaluate(self, answers: Mapping[str, Any]) -> Evaluation:
        full = len(answers) < len(self._order)
        ke = self._full if full else self._conclude
        ke.answers = answers
        ke.firings = []
        ke.verdicts = []
        ke.start(*ke.case_facts(answers))
        ke.run()
        if full and ke.alpha is not None:
            # The conclusions are in: only now the needs, whose rules read the verdicts.
            declare = ke.facts.declare
            for fact in ke.alpha.group_facts(answers):
                declare(fact)
            ke.run()
        needs: dict[str, list[str]] = {}
        need_rank: dict[str, int] = {}
        if full:  # with every question answered, no need rule is even compiled
            self._needs(ke, needs, need_rank)
        return Evaluation(
            answers={q.id: answers[q.id] for q in self._order if q.id in answers},
            firings=list(ke.firings),
            verdicts=list(ke.verdicts),
            needs=needs,
            questions=self.rulebase.questions,
            groups=self.rulebase.groups,
            need_rank=need_rank,
            ask_first_rank=self.rulebase.ask_first_rank,
        )

    def _needs(self, ke: _Engine, needs: dict[str, list[str]], need_rank: dict[str, int]) -> None:
        """Fill ``needs`` and ``need_rank`` from the Need facts the evaluation left."""
        held = [n for fact in ke.facts.values() if isinstance(fact, Need) for n in fact["held"]]
        held.sort(key=_POSITION)  # the order in which one rule per need would have fired
        for q, rule, rank, _ in held:
            rules = needs.setdefault(q, [])
            if rule not in rules:
                rules.append(rule)
            need_rank[q] = max(need_rank.get(q, -1), rank)
        for rules in needs.values():
            rules.sort(key=self._rule_order.__getitem__)


def _copy(ev: Evaluation) -> Evaluation:
    """An evaluation that shares nothing a caller could change with ``ev``."""
    return Evaluation(
        answers=dict(ev.answers),
        firings=[
            f._replace(matched=dict(f.matched), concluded=dict(f.concluded)) for f in ev.firings
        ],
        verdicts=list(ev.verdicts),
        needs={q: list(rules) for q, rules in ev.needs.items()},
        questions=ev.questions,
        groups=ev.groups,
        need_rank=dict(ev.need_rank),
        ask_first_rank=ev.ask_first_rank,
    )


class _Engine(KnowledgeEngine):
    """What every compiled rule base shares: matcher, strategy, and the per-case entry points."""

    __matcher__ = LeanReteMatcher
    __strategy__ = SalienceStrategy

    alpha: AlphaNetwork | None  # None: answer tests are experta patterns on Answers
    questions: tuple[str, ...]
    derived: Mapping[str, Derived]
    answers: Mapping[str, Any]
    firings: list[Firing]
    verdicts: list[VerdictInfo]
    declared: list[tuple[int, str, bool]]  # (rank, rule, final) of the Verdicts declared
    blocking: Mapping[str, tuple[str, ...]]  # rule -> the questions that can only stop it
    reads_findings: frozenset[str]  # rules with a condition on a finding
    verdict_any: bool  # no pattern reads a Verdict's fields: only whether one exists

    def __init__(self) -> None:
        super().__init__()
        matcher = self.matcher
        self.verdict_any = isinstance(matcher, LeanReteMatcher) and not matcher.reads_fields(
            Verdict
        )

    def case_facts(self, answers: Mapping[str, Any]) -> list[Fact]:
        """The facts a case starts from: what the alpha network says holds, or the answers."""
        if self.alpha is not None:
            return self.alpha.facts(answers)
        slots = {q: answers.get(q) for q in self.questions}
        for d in self.derived.values():
            slots[d.id] = d.value(answers, self.derived)
        return [Answers(**slots)]

    def add_fact(self, cls: type[Fact], **values: Any) -> None:
        """Declare a fact a rule concludes (while running: the run loop updates the agenda)."""
        self.facts.declare(new_fact(cls, **values))

    def run(self, steps: float = float("inf")) -> None:
        """experta's run loop, without the log line it formats for every firing (the
        ``fired`` list and the audit trail record each firing instead).

        experta asks the matcher for the changes to the agenda before every firing; here the
        matcher sees the facts declared since the last firing, as experta's
        ``get_activations`` hands them over, and is not asked when there are none (no fact
        reached the network, so no node has a change to report)."""
        self.running = True
        facts, changes = self.facts, self.matcher.changes
        agenda, update = self.agenda, self.strategy._update_agenda
        activations = agenda.activations
        while steps > 0 and self.running:
            if facts.added or facts.removed:
                adding, deleting = facts.added, facts.removed
                facts.added, facts.removed = [], []
                added, removed = changes(adding, deleting)
                if added or removed:
                    update(agenda, added, removed)
            if not activations:
                break
            activation = activations.pop()
            steps -= 1
            context = activation.context
            # Every right-hand side here takes **kwargs, so experta's Rule.__call__ would pass
            # the bindings through unfiltered: call the function itself.
            if context:
                activation.rule._wrapped(
                    self, **{k: v for k, v in context.items() if k[:2] != "__"}
                )
            else:
                activation.rule._wrapped(self)
        self.running = False

    def get_deffacts(self) -> list[Any]:
        """experta finds DefFacts by scanning every class member on each reset(); do it once."""
        cached: list[Any] | None = self.__dict__.get("_deffacts")
        if cached is None:
            cached = self._deffacts = super().get_deffacts()
        return cached

    def start(self, *facts: Fact) -> None:
        """``reset()`` then ``declare(*facts)``, with the network matched once for both.

        The agenda comes out the same: the strategy orders activations totally, whichever
        pass produced them.
        """
        self.agenda = Agenda()
        self.facts = FactList()
        self.declared = []
        self.matcher.reset()
        declare = self.facts.declare
        deffacts = self.get_deffacts()
        if len(deffacts) == 1 and deffacts[0]._wrapped is _INITIAL_FACT:
            declare(new_fact(InitialFact))  # what experta's only DefFacts yields, built directly
        else:
            for fact in chain.from_iterable(d() for d in deffacts):
                declare(fact)
        for fact in facts:
            declare(fact)
        added, removed = self.matcher.changes(self.facts.added, self.facts.removed)
        self.facts.added, self.facts.removed = [], []  # what experta's get_activations() does
        self.strategy._update_agenda(self.agenda, added, removed)
        self.running = False

    def final(self, rule: str) -> bool:
        """Whether a verdict of ``rule`` stands whatever is still asked: every question that
        could only stop it (``not_in``, ``other_than``) has been answered. A rule that reads
        findings is never taken as final (another rule's unasked answer could change them)."""
        if rule in self.reads_findings:
            return False
        answers = self.answers
        return all(answers.get(q) is not None for q in self.blocking.get(rule, ()))

    def conclude(self, info: VerdictInfo) -> None:
        """Record a disposition; declare a Verdict only when some pattern could tell it apart.

        Every pattern on Verdict facts is "none with rank >= p" or "no final one with rank >= p
        from a rule other than R" (a need that can only block rule R). A Verdict of rank r
        from rule X changes neither when a declared one of rank >= r exists and this one is
        not final, or when final ones of rank >= r were declared by X itself or by two rules.
        Where no pattern reads a Verdict's fields (the network for complete answers, whose
        only such pattern is "no verdict at all"), one more urgent than all before is
        declared, and no other: so the most urgent disposition is still a fact.
        """
        self.verdicts.append(info)
        rank, rule = info.outcome.rank, info.rule
        declared = self.declared
        if self.verdict_any:
            if declared and declared[-1][0] >= rank:
                return
            final = self.final(rule)
        else:
            final = self.final(rule)
            above = [(r, f) for k, r, f in declared if k >= rank]
            if above:
                if not final:
                    return
                finals = {r for r, f in above if f}
                if rule in finals or len(finals) >= 2:
                    return
        declared.append((rank, rule, final))
        self.facts.declare(new_fact(Verdict, rule=rule, rank=rank, via=info.via or "", final=final))


# The generator behind experta's own DefFacts, which yields one InitialFact per reset.
_INITIAL_FACT = KnowledgeEngine.__dict__["_declare_initial_fact"]._wrapped


def compile_rulebase(rb: RuleBase, with_needs: bool = True, alpha: bool = True) -> type[_Engine]:
    """Build the experta engine class for a rule base (do this once per process).

    With ``alpha`` (the default), each compiled rule's answer conditions are one ``Holds``
    pattern, whose facts the compiled alpha network declares (alpha.py). Without it they
    are experta field tests on one ``Answers`` fact with a slot per question (``None`` when
    unanswered), as a CLIPS template would hold them: the reference the compiled network is
    tested against. Either way the network needs no joins between answers.
    """
    softened = rb.softened_tiers
    network = AlphaNetwork(f"{rb.name} {rb.version}", rb.derived) if alpha else None
    # Equal tests get the very same function, so experta's alpha network shares one node for
    # them (it tells predicate tests apart by the function's identity).
    interpret = cache(lambda t: t.interpret)

    def answers(tests: list[Test], label: str) -> list[Any]:
        if not tests:
            return []
        if network is not None:
            return [network.key(tests, label)()]
        fields: dict[str, Any] = {}
        for t in tests:
            p = P(interpret(t))
            fields[t.question] = fields[t.question] & p if t.question in fields else p
        return [Answers(**fields)]

    attrs: dict[str, Any] = {
        "alpha": network,
        "questions": tuple(rb.questions),
        "derived": dict(rb.derived),
        "blocking": {
            r.id: tuple(
                c.question
                for c in r.conditions
                if c.kind == "answer" and c.question and c.test in BLOCKING_TESTS
            )
            for r in rb.rules
            if r.disposition is not None
        },
        "reads_findings": frozenset(
            r.id for r in rb.rules if any(c.kind in ("finding", "no_finding") for c in r.conditions)
        ),
    }
    salience = 10 * (2 * len(rb.rules) + 10)
    for r in rb.rules:
        accepts_unsure = r.tier in softened
        tests = [Test(_subject(c), DEFINITE, c, accepts_unsure) for c in _answer_conditions(r)]
        name = f"rule_{r.order:03d}"
        lhs = answers(tests, name) + _fact_patterns(r)
        attrs[name] = Rule(*lhs, salience=salience)(_rhs(rb, r, softened))
        salience -= 1
    # Need rules fire after every conclusion is in (see relevance.py for their reach). Each
    # (rule, reach, question) is a *need*, numbered in this order: its number orders the
    # needs of an evaluation as the rules' order does (TriageEngine.evaluate).
    gates = cache(_gate)
    block_gates = cache(_block_gate)
    reach = reaches(rb) if with_needs else {}
    # With the alpha network, needs that share a verdict gate and the rule's patterns on
    # derived facts share one need rule: its fact, from the alpha network's second function,
    # carries the needs whose answer conditions can still hold. Without it (the reference),
    # each need is a rule of its own.
    grouped: dict[tuple[Any, ...], tuple[list[Any], list[tuple[list[Test], Any]]]] = {}
    position = 0
    for r in rb.rules:
        for way in reach.get(r.id, ()):
            conditions = _answer_conditions(r)
            own = {c.question: c for c in conditions if c.kind == "answer"}
            # A question a derived value reads can make its condition hold, as its own can.
            for q in r.questions:
                c = own.get(q)
                tests = [
                    Test(_subject(o), POSSIBLE, o, way.unsure) for o in conditions if o is not c
                ]
                tests.append(Test(q, UNKNOWN))
                blocking = c is not None and c.test in BLOCKING_TESTS
                if blocking and r.disposition is not None:
                    # an answer can only stop this rule: moot once another rule has given as
                    # much (or more) for good, whatever this one does (a verdict that an
                    # unasked answer could still stop does not count: two such rules would
                    # each leave the other's question unasked, and both fire)
                    gate = block_gates(way.block_gate - 1, r.id)
                else:
                    gate = gates(way.block_gate if blocking else way.gate)
                need = (q, r.id, way.rank, position)
                position += 1
                if network is not None:
                    patterns = [gate, *_fact_patterns(r)]
                    key = (id(gate), *_pattern_key(r))
                    grouped.setdefault(key, (patterns, []))[1].append((tests, need))
                    continue
                name = f"need_{r.order:03d}_{q}" + ("_unsure" if way.unsure else "")
                lhs = answers(tests, name) + _fact_patterns(r)
                attrs[name] = Rule(*lhs, gate, salience=salience)(_need_rhs(name, (need,)))
                salience -= 1
    for i, (patterns, members) in enumerate(grouped.values()):
        assert network is not None
        name = f"need_{i:03d}"
        held = AS.holds << network.group(members, name)()
        gate, *derived = patterns
        attrs[name] = Rule(held, *derived, gate, salience=salience)(_need_rhs(name))
        salience -= 1
    return type("CompiledTriageEngine", (_Engine,), attrs)


def _answer_conditions(r: KRule) -> list[Condition]:
    """The conditions on answers, and on values derived from them."""
    return [c for c in r.conditions if (c.kind == "answer" and c.question) or c.kind == "derived"]


def _subject(c: Condition) -> str:
    """What a condition tests: a question id, or a derived value's id."""
    return c.question if c.kind == "answer" and c.question else c.name


def _fact_patterns(r: KRule) -> list[Any]:
    """Patterns on derived facts: findings, softened triggers, and the absence of any verdict."""
    out: list[Any] = []
    for c in r.conditions:
        if c.kind == "finding":
            out.append(Finding(name=c.name))
        elif c.kind == "no_finding":
            out.append(NOT(Finding(name=c.name)))
        elif c.kind == "trigger_tier":
            out.append(AS.trigger << Trigger(tier=c.name))
        elif c.kind == "no_disposition":
            out.append(NOT(Verdict()))
    return out


def _rhs(rb: RuleBase, r: KRule, softened: frozenset[str]) -> Callable[..., None]:
    """The right-hand side of a trigger or resolution rule: record, then conclude."""
    # The questions whose "unsure" this rule reads as yes (in a tier that softens unsure).
    unsure_conditions = tuple(
        c.question
        for c in r.conditions
        if c.question is not None
        and r.tier in softened
        and c.kind == "answer"
        and c.test in ("is", "in")
        and "unsure" not in c.values
    )
    questions = r.questions
    outcome = rb.outcome(r.disposition, r.timeframe) if r.disposition is not None else None
    static: dict[str, Any] = {}  # what every firing concludes, whatever the answers
    if r.finding:
        static["finding"] = r.finding
    if r.caution:
        static["caution"] = r.caution
    if r.routine:
        static["routine"] = r.routine
    if r.adjust:
        static["adjust"] = r.adjust

    # What a firing that concludes its disposition outright records (copied per firing).
    definite = {**static, **_concluded(outcome)} if outcome is not None else static
    softening = _concluded(outcome) if outcome is not None else {}
    rule_id, finding, tier = r.id, r.finding, r.tier

    def fire(engine: _Engine, trigger: Any = None, **_: Any) -> None:
        answers = engine.answers
        if trigger is not None:  # a resolution rule softening a trigger
            assert outcome is not None
            unsure = tuple(trigger["unsure"])
            engine.conclude(VerdictInfo(trigger["rule"], outcome, rule_id, unsure))
            engine.firings.append(
                Firing(
                    r, {q: answers.get(q) for q in unsure}, unsure, dict(softening), trigger["rule"]
                )
            )
            return
        matched = {q: answers.get(q) for q in questions}
        unsure = (
            tuple(q for q in unsure_conditions if matched.get(q) == "unsure")
            if unsure_conditions
            else ()
        )
        if finding:
            engine.add_fact(Finding, name=finding, rule=rule_id)
        if outcome is None:
            concluded = dict(static)
        elif unsure:
            engine.add_fact(Trigger, rule=rule_id, tier=tier, unsure=unsure)
            concluded = dict(static)
            concluded["trigger"] = f"{tier} (unsure: {', '.join(unsure)})"
        else:
            engine.conclude(VerdictInfo(rule_id, outcome))
            concluded = dict(definite)
        engine.firings.append(Firing(r, matched, unsure, concluded))

    fire.__name__ = r.id
    fire.__doc__ = r.title
    return _signed(fire)


def _concluded(outcome: Outcome) -> dict[str, Any]:
    return {"disposition": outcome.disposition, "timeframe": outcome.timeframe}


def _gate(rank: int) -> Any:
    """No verdict of ``rank`` or more: one pattern per rank, so equal gates share a node."""
    return NOT(Verdict(rank=P(lambda v: v >= rank)))


def _block_gate(rank: int, rule: str) -> Any:
    """No final verdict of ``rank`` or more from a rule other than ``rule``."""
    return NOT(Verdict(rank=P(lambda v: v >= rank), rule=P(lambda r: r != rule), final=True))


def _pattern_key(r: KRule) -> tuple[tuple[str, str | None], ...]:
    """What ``_fact_patterns`` builds for a rule, as a key: equal keys, equal patterns."""
    kinds = ("finding", "no_finding", "trigger_tier", "no_disposition")
    return tuple((c.kind, c.name) for c in r.conditions if c.kind in kinds)


def _need_rhs(name: str, needs: tuple[Any, ...] | None = None) -> Callable[..., None]:
    """Declare a Need fact with the needs this rule met: its own one (a rule per need), or
    those its group's fact holds."""

    def need(engine: _Engine, holds: Any = None, **_: Any) -> None:
        engine.add_fact(Need, held=needs if holds is None else holds["held"])

    need.__name__ = name
    return _signed(need)


_POSITION = itemgetter(3)
_SIGNATURES: dict[CodeType, inspect.Signature] = {}


def _signed(rhs: Callable[..., None]) -> Callable[..., None]:
    """``rhs`` carrying its signature, worked out once per ``def``.

    experta reads a right-hand side's signature each time it copies a rule, some ten times
    per rule while it builds the network: with ``__signature__`` set, ``inspect`` need not
    work it out each time. It was a fifth of the time a new process takes to build the network.
    """
    code = rhs.__code__
    sig = _SIGNATURES.get(code)
    if sig is None:
        sig = _SIGNATURES[code] = inspect.signature(rhs)
    rhs.__signature__ = sig  # type: ignore[attr-defined]
    return rhs
