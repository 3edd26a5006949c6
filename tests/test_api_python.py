"""The public Python API: `from triage import ...` gives the documented names, `import triage`
alone stays cheap, and docs/api-python.md's example prints what the page says it prints."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT

import triage

PAGE = ROOT / "docs" / "api-python.md"


def example() -> tuple[str, str]:
    """The page's example program and the output shown below it."""
    text = PAGE.read_text()
    program = re.search(r"## An example\n.*?```python\n(.*?)```", text, re.S)
    output = re.search(r"It prints:\n\n```text\n(.*?)```", text, re.S)
    assert program and output, "docs/api-python.md lost its example"
    return program.group(1), output.group(1)


def test_the_example_prints_what_the_page_shows():
    program, shown = example()
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown


def test_every_public_name_is_there_and_documented():
    text = PAGE.read_text()
    for name in triage.__all__:
        assert getattr(triage, name) is not None
    from triage import Evaluation, Outcome, Triage, load_rulebase  # the page's promise

    assert Triage.load().evaluate({}).__class__ is Evaluation
    assert isinstance(load_rulebase().default_outcome, Outcome)
    for name in ("Triage", "load_rulebase", "Evaluation", "Outcome", "InvalidCase"):
        assert f"`{name}" in text or f"{name}(" in text
    assert set(dir(triage)) >= set(triage.__all__)
    assert set(triage.__all__) == {"__version__", *triage._PUBLIC}


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        triage.Nothing  # noqa: B018
    with pytest.raises(ImportError):
        from triage import Nothing  # noqa: F401


def test_importing_triage_loads_no_engine():
    code = (
        "import json, sys, triage\n"
        "print(json.dumps([m for m in ('experta', 'yaml', 'triage.engine', 'triage.service',"
        " 'triage.knowledge') if m in sys.modules]))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


def test_an_invalid_case_raises_one_line_naming_the_field(triage):
    from triage import InvalidCase, TriageError

    with pytest.raises(InvalidCase) as caught:
        triage.case({"id": "x", "answers": {"nope": "yes"}})
    assert isinstance(caught.value, TriageError)
    assert caught.value.error.field == "answers.nope"
    assert "\n" not in str(caught.value)
    assert triage.case({"answers": {"fever": "Yes "}}).answers == {"fever": "yes"}
