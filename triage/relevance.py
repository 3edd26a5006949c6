"""When a rule's unanswered question is worth asking: how far its conclusion can still matter.

The interview asks a question only while some answer to it could change the disposition, the
timeframe or the advice that will be shown. For each rule this module works out, from the rule
base alone, the *reach* of that rule: the verdicts that make it irrelevant. The engine turns
each reach into a *need* rule, "this question is unanswered, every other condition of the rule
can still hold, and no verdict at or above the gate exists".

- A rule that concludes a disposition of rank ``e`` is worth pursuing while no verdict of rank
  ``e`` or more exists (answering could make it fire, and it would be more urgent). A question
  that can only *block* it (``not_in``: an answer of yes stops it) is worth asking while no
  verdict *above* ``e`` exists, that is while this rule could still be the one that decides,
  and no other rule has given ``e`` or more *for good* (a final verdict: one that no unasked
  answer could still stop; two rules stopped by the same unasked answer must not each count
  the other's verdict, or neither question is asked and both fire).
- In a tier that ``unsure`` answers soften, the rule has a second reach: when its other
  conditions hold only through ``unsure``, it can give no more than the softened outcome, so
  (say) a meningitis question adds nothing once ``fever: unsure`` and another unsure emergency
  sign have already given "see a doctor today".
- A caution or advice rule is shown only for its ``shown_for`` dispositions, so it is worth
  pursuing while the outcome can still be one of them: no verdict above the most urgent.
- A rule that concludes a finding reaches as far as the rules that read the finding.

This is what keeps the interview safe: whatever the answers to the questions it never asks,
they cannot make the outcome more urgent, or change the advice shown (tests/test_interview.py
checks this on random answers).
"""

from __future__ import annotations

from dataclasses import dataclass

from .knowledge import ADVISORY_TIERS, KRule, RuleBase


@dataclass(frozen=True)
class Reach:
    """One way a rule can still matter.

    ``unsure``: the rule's other conditions may be met by ``unsure`` answers (so it fires only
    in its softened form); ``rank``: the most urgent outcome this way can lead to (-1 for
    advice only); ``gate``: a need is kept while no verdict has rank ``gate`` or more, for a
    question that can make the rule fire; ``block_gate`` the same for one that can only stop it.
    """

    unsure: bool
    rank: int
    gate: int
    block_gate: int


def reaches(rb: RuleBase) -> dict[str, list[Reach]]:
    """The reaches of every rule that can need a question (not the resolution rules)."""
    softened = rb.softened_tiers
    out: dict[str, list[Reach]] = {}
    readers: dict[str, list[tuple[bool, KRule]]] = {}  # finding -> (reads its absence, rule)
    for r in rb.rules:
        for c in r.conditions:
            if c.kind in ("finding", "no_finding"):
                readers.setdefault(c.name, []).append((c.kind == "no_finding", r))
    # Readers come after the rules that conclude what they read (the loader checks this), so
    # going backwards, a finding's readers are known before the rules that conclude it.
    for r in reversed(rb.rules):
        if r.tier == "resolution":
            continue
        if r.tier not in ADVISORY_TIERS:
            e = rb.outcome(r.disposition, r.timeframe).rank
            ways = [Reach(False, e, e, e + 1)]
            soft = rb.softened_outcome(r.tier) if r.tier in softened else None
            if soft is not None:
                ways.append(Reach(True, soft.rank, soft.rank, soft.rank + 1))
            out[r.id] = ways
            continue
        rank, gate = -1, -1
        if r.caution or r.routine or r.adjust:
            shown = [o.rank for o in rb.outcomes if o.disposition in r.shown_for]
            gate = max(shown) + 1 if shown else -1
        for blocks, reader in readers.get(r.finding or "", []) if r.finding else []:
            for way in out.get(reader.id, []):
                rank = max(rank, way.rank)
                gate = max(gate, way.block_gate if blocks else way.gate)
        if gate >= 0:
            out[r.id] = [Reach(False, rank, gate, gate)]
    return {r.id: out[r.id] for r in rb.rules if r.id in out}
