"""The plain words every front end shows a person, kept apart from any one front end.

The terminal (render.py), the web page and the FHIR answers all say the next step of a plan
and an exercise's dose the same way; this module holds those words without the terminal's
colours, so the web and FHIR layers need not import click.
"""

from __future__ import annotations

from typing import Any


def next_step(plan: dict[str, Any]) -> str:
    """The first thing to do, in one sentence or two."""
    if "emergency" in plan:
        return plan["emergency"]["now"]["text"]
    if "doctor" in plan:
        return plan["doctor"]["when"]["text"]
    if "physical_therapist" in plan:
        find = plan["physical_therapist"]["find"]
        return find[0]["text"] if find else plan["summary"]
    if "tools" in plan:
        return plan["tools"]["summary"]["text"]
    if "self_care" in plan:
        return plan["self_care"]["text"]
    return plan["summary"]


def dose(exercise: dict[str, Any]) -> str:
    """How long and how often, in words: "30 seconds", "hold 5 seconds, 10 times"."""
    hold, reps = exercise["hold_seconds"], exercise["repetitions"]
    seconds = f"{hold:g} second{'s' if hold != 1 else ''}"
    return seconds if reps == 1 else f"hold {seconds}, {reps} times"
