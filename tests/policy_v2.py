"""Policy version 2 (docs/policy.md) read by hand, with no rule file: the oracle the rule
base is checked against on random answers (tests/test_policy_v2.py).

It is written from the policy's words, not from the rules, so a rule that is missing, has a
wrong threshold or softens what it should not shows up as a disagreement. Where the policy
leaves a reading open, this file and the rules take the same one, said in docs/policy.md:
``pregnant`` is read only at ages 12 to 55 (where it is asked) and ``pregnancy_warning`` only
with ``pregnant`` yes or unsure; ``exertional_pain`` only with neck or upper back pain; "unless
familiar and severity < 7" needs a severity to be answered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

NERVE = {"radiating", "tingling", "numbness", "weakness"}
EMERGENCY, SAME_DAY, SOON = ("emergency", "now"), ("doctor", "same_day"), ("doctor", "soon")
PT, TOOLS, STRETCH = (
    ("physical_therapist", "within_2_weeks"),
    ("tool_use", None),
    (
        "self_stretching",
        None,
    ),
)
ORDER = [STRETCH, TOOLS, PT, SOON, SAME_DAY, EMERGENCY]

Reading = Callable[[str], bool]


def decide(a: Mapping[str, Any]) -> tuple[str, str | None]:
    """(disposition, timeframe) for validated answers; a missing answer is not present."""
    age, weeks, sev = a.get("age"), a.get("duration_weeks"), a.get("severity")
    loc = a.get("location")
    sens = set(a.get("sensations") or ())
    nerve = bool(sens & NERVE)
    back = loc in ("upper_back", "lower_back")
    child = age is not None and age < 16
    familiar = a.get("new_or_different") == "no"
    in_pregnancy_ages = age is not None and 12 <= age <= 55

    def strict(q: str) -> bool:
        return a.get(q) == "yes"

    def lenient(q: str) -> bool:
        return a.get(q) in ("yes", "unsure")

    def emergency(y: Reading) -> bool:
        trauma = y("major_trauma") or y("minor_trauma")
        infection = y("fever") or y("immune_risk") or y("infection_risk")
        return (
            y("saddle_numbness")
            or y("bladder_bowel_change")
            or (y("both_legs") and a.get("both_legs_new") != "no")
            or (y("sexual_change") and ((loc == "lower_back" and nerve) or y("both_legs")))
            or y("major_trauma")
            or (
                y("minor_trauma")
                and ((age is not None and age >= 65) or y("osteoporosis_or_steroids"))
            )
            or (trauma and loc == "neck" and (nerve or y("both_arms")))
            or (y("aortic_risk") and back and weeks is not None and weeks < 2)
            or (
                y("cancer_history")
                and (
                    y("worsening_weakness")
                    or nerve
                    or y("band_pain")
                    or y("hand_clumsiness_or_unsteady")
                    or y("both_arms")
                    or y("neck_flexion_shocks")
                )
            )
            or (
                infection
                and (
                    y("worsening_weakness")
                    or y("both_legs")
                    or bool(sens & {"numbness", "weakness"})
                    or y("hand_clumsiness_or_unsteady")
                    or y("both_arms")
                    or y("band_pain")
                )
            )
            or (child and (y("cannot_walk") or y("fever")))
        )

    def never_softened() -> bool:
        """Emergencies an ``unsure`` answer fires as they stand."""
        cauda_unsure = (
            a.get("saddle_numbness") == "unsure" or a.get("bladder_bowel_change") == "unsure"
        )
        trauma = lenient("major_trauma") or lenient("minor_trauma")
        return (
            any(
                lenient(q)
                for q in (
                    "chest_symptoms",
                    "tearing_pain",
                    "sudden_severe_pain",
                    "sudden_headache",
                    "head_neuro_symptoms",
                )
            )
            or (lenient("pregnancy_warning") and lenient("pregnant") and in_pregnancy_ages)
            or (lenient("fever") and lenient("neck_stiffness_headache"))
            or (trauma and loc == "neck" and (nerve or strict("both_arms")))
            or (
                cauda_unsure
                and (
                    lenient("both_legs")
                    or lenient("worsening_weakness")
                    or (loc == "lower_back" and nerve)
                )
            )
        )

    def same_day(y: Reading) -> bool:
        return (
            y("fever")
            or y("worsening_weakness")
            or y("hand_clumsiness_or_unsteady")
            or y("cancer_history")
            or (y("sexual_change") and back)
            or y("immune_risk")
            or y("infection_risk")
            or (y("exertional_pain") and loc in ("neck", "upper_back"))
            or (
                child
                and (y("night_pain") or y("weight_loss") or y("constant_progressive") or nerve)
            )
            or (age is not None and age < 6)
        )

    def soon(y: Reading) -> bool:
        onset = None if age is None or weeks is None else age - weeks / 52
        count = None
        if onset is not None and a.get("inflammatory_signs") is not None:
            count = (1 if onset < 35 else 0) + len(a["inflammatory_signs"])
        ng65 = (
            loc == "lower_back"
            and onset is not None
            and onset < 45
            and weeks > 13
            and count is not None
            and count >= 3
        )
        return (
            y("weight_loss")
            or y("night_pain")
            or "weakness" in sens
            or y("pain_when_cracking")
            or (sev is not None and sev >= 9)
            or (age is not None and weeks is not None and age > 50 and weeks >= 4)
            or child
            or (y("both_legs") and a.get("both_legs_new") == "no")
            or any(
                y(q)
                for q in (
                    "constant_progressive",
                    "spine_shape_change",
                    "worse_on_straining",
                    "band_pain",
                    "both_arms",
                    "neck_flexion_shocks",
                )
            )
            or (loc == "upper_back" and age is not None and age >= 50 and not familiar)
            or (
                y("osteoporosis_or_steroids")
                and back
                and weeks is not None
                and weeks < 6
                and (not familiar or (sev is not None and sev >= 7))
            )
            or (y("aortic_risk") and back and weeks is not None and weeks >= 2 and not familiar)
            or ng65
        )

    def physical_therapist() -> bool:
        outlook = a.get("outlook") or ()
        return (
            (weeks is not None and (weeks >= 6 or (loc == "neck" and weeks >= 4)))
            or (sev is not None and 7 <= sev <= 8)
            or strict("function_limited")
            or strict("self_care_not_helping")
            or bool(sens & {"radiating", "tingling", "numbness"})
            or (age is not None and age >= 16 and len(outlook) >= 2)
            or (strict("pregnant") and in_pregnancy_ages and weeks is not None and weeks >= 2)
        )

    def tool_use() -> bool:
        if "tightness" not in sens or not back or age is None or age >= 65:
            return False
        if any(
            a.get(q) != "no"
            for q in ("osteoporosis_or_steroids", "blood_thinners", "hypermobility")
        ):
            return False
        return a.get("pregnant") == "no" if in_pregnancy_ages else True

    found = [STRETCH]
    if emergency(strict) or never_softened():
        found.append(EMERGENCY)
    elif emergency(lenient):
        found.append(SAME_DAY)
    if same_day(strict):
        found.append(SAME_DAY)
    elif same_day(lenient):
        found.append(SOON)
    if soon(lenient):
        found.append(SOON)
    if physical_therapist():
        found.append(PT)
    if tool_use():
        found.append(TOOLS)
    return max(found, key=ORDER.index)
