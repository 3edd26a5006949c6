"""README.md's example blocks are real output: regenerating them changes nothing."""

from __future__ import annotations

import importlib.util

from conftest import ROOT


def test_readme_examples_are_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "readme_examples", ROOT / "scripts" / "readme_examples.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "README.md").read_text()
    assert "<!-- example: ask -->" in text
    assert module.render(text) == text, "run: uv run python scripts/readme_examples.py"


def test_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:8]
    assert any("uv run triage ask" in line for line in head)
    assert any("uv run pytest" in line for line in head)
