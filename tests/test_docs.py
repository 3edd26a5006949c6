"""The reference docs in docs/ are the project's own, true to the code, and linked.

Their generated blocks are real output (regenerating them changes nothing); every field a
result record has is described; every rule, question and group is named; no link leads out
of the project or to a heading that is not there.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from triage.cases import Case, CaseError, iter_cases
from triage.interview import Interview
from triage.result import build_result

DOCS = ROOT / "docs"
REFERENCE = (
    "cli.md",
    "case-files.md",
    "questions.md",
    "result-record.md",
    "policy.md",
    "changes.md",
    "rules.md",
    "fhir.md",
    "api-python.md",
    "architecture.md",
)


def load_generator() -> Any:
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(
        "docs_generate", ROOT / "scripts" / "docs_generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def doc(name: str) -> str:
    return (DOCS / name).read_text()


@pytest.mark.parametrize(
    "name",
    [n for n in REFERENCE if n not in ("changes.md", "api-python.md", "architecture.md")],  # prose
)
def test_generated_blocks_are_up_to_date(name):
    text = doc(name)
    assert "<!-- generated: " in text
    assert load_generator().render(text) == text, "run: uv run python scripts/docs_generate.py"


def keys(records: list[dict[str, Any]]) -> set[str]:
    return {k for r in records for k in r}


def record_fields(triage) -> dict[str, set[str]]:
    """The field names of the records of the whole corpus, by where they are."""
    records = [
        triage.result(item)
        for item in iter_cases([str(ROOT / "cases")], triage.rulebase)
        if isinstance(item, Case)
    ]
    plans = [r["plan"] for r in records]
    parts = [p[k] for p in plans for k in p if isinstance(p[k], dict)]
    tools = [p["tools"] for p in plans if "tools" in p]
    routines = [r for p in plans for r in p.get("routines", {}).values()]
    return {
        "record": keys(records),
        "reasons": keys([x for r in records for x in r["reasons"]]),
        "trail": keys([x for r in records for x in r["trail"]]),
        "concluded": keys([x["concluded"] for r in records for x in r["trail"]]),
        "cautions": keys([x for r in records for x in r["cautions"]]),
        "rulebase": keys([r["rulebase"] for r in records]),
        "plan": keys(plans) | keys([x for x in parts if "text" not in x]),
        "tools": keys(tools) | keys([o for t in tools for o in t["options"]]),
        "routines": keys(routines) | keys([e for r in routines for e in r["exercises"]]),
        "asked": keys(interviewed(triage)["asked"]),
        "error": keys([{"id": 1, "source": 1, **{f"error.{k}": 1 for k in ("message", "field")}}]),
    }


def interviewed(triage) -> dict[str, Any]:
    """The record of an interview answered from a complete case of the corpus."""
    (case,) = iter_cases([str(ROOT / "cases" / "core" / "unsure-saddle.yaml")], triage.rulebase)
    interview = Interview(triage)
    ev = interview.evaluate()
    default = {"yesno": "no", "multi": ()}  # a v1 case: questions added since are no/none
    while ev.next_questions:
        answers = {q.id: case.answers.get(q.id, default.get(q.type)) for q in ev.next_questions}
        interview.give(ev, answers)
        ev = interview.evaluate()
    return build_result(ev, triage.rulebase, asked=interview.asked)


def test_every_field_of_the_result_record_is_described(triage):
    text = doc("result-record.md")
    missing = {
        where: sorted(k for k in found if f"`{k}`" not in text)
        for where, found in record_fields(triage).items()
    }
    assert not {w: m for w, m in missing.items() if m}, "describe them in docs/result-record.md"


def test_the_error_record_is_described_with_its_real_fields():
    text = doc("result-record.md")
    for field in ("`error.message`", "`error.field`"):
        assert field in text
    record = CaseError("x", "y", "z", "answers.age").record()
    assert set(record) == {"id", "source", "error"} and set(record["error"]) == {"message", "field"}


def test_the_policy_names_every_rule(triage):
    text = doc("policy.md")
    assert [r.id for r in triage.rulebase.rules if f"`{r.id}`" not in text] == []


def test_the_questions_doc_names_every_question_and_group(triage):
    text = doc("questions.md")
    ids = [*triage.rulebase.questions, *triage.rulebase.groups]
    assert [i for i in ids if f"`{i}`" not in text] == []
    assert "must never escalate a case in which it is simply absent" in text


def test_the_readme_links_every_reference_doc():
    readme = (ROOT / "README.md").read_text()
    assert [n for n in REFERENCE if f"](docs/{n})" not in readme] == []


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(m) for m in re.findall(r"^#+ (.*)$", text, flags=re.M)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("path", [ROOT / "README.md", *(DOCS / n for n in REFERENCE)], ids=str)
def test_every_link_leads_somewhere_in_the_project(path):
    broken = []
    for link in links(path):
        if re.match(r"[a-z]+:", link):
            continue  # a web address
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        outside = not file.exists() or ROOT not in (file, *file.parents)
        if outside or (anchor and file.suffix == ".md" and anchor not in anchors(file)):
            broken.append(link)
    assert broken == []


# What a clone does not have: the team's shared specs and seed texts.
OUTSIDE = re.compile(r"\.\./shared|shared/spec|/work/shared|(?<![\w-])seed/")
SPEC_LINK = re.compile(r"(?<![\w/-])spec/[\w-]+\.md")


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        files = [ROOT / f for f in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        skip = {".git", ".venv", "tests"}
        files = [p for p in ROOT.rglob("*") if not skip & set(p.relative_to(ROOT).parts)]
    return [
        f
        for f in files
        if f.suffix in (".md", ".yaml", ".yml", ".py")
        and f.relative_to(ROOT).parts[0] != "tests"
        and f.is_file()
    ]


def test_nothing_outside_tests_names_what_a_clone_does_not_have():
    found = []
    for f in tracked_files():
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line) or (f.suffix == ".md" and SPEC_LINK.search(line)):
                found.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_the_cli_reference_has_every_command_and_subcommand():
    paths = list(load_generator().command_paths())
    assert (
        ["batch"] in paths and ["rules", "check"] in paths and ["export", "questionnaire"] in paths
    )
    text = doc("cli.md")
    for path in paths:
        name = " ".join(["triage", *path])
        assert f"### {name}\n" in text and f"$ {name} --help\n" in text
