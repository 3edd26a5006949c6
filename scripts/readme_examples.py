"""Regenerate the example blocks of README.md from real runs, so the README cannot drift.

Each block sits between ``<!-- example: NAME -->`` and ``<!-- /example -->``. Run with no
argument to rewrite README.md; ``--check`` exits 1 if it is out of date (a test does this).

    uv run python scripts/readme_examples.py
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from triage.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- example: (\S+) -->\n)(.*?)(<!-- /example -->)", re.S)


def run(args: list[str], input: str | None = None, cwd: Path = ROOT) -> str:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args, input=input, env={"NO_COLOR": "1"})
    finally:
        os.chdir(old)
    return result.output.rstrip("\n")


def console(command: str, output: str) -> str:
    return f"```console\n$ {command}\n{output}\n```\n"


def elide(text: str, head: int, tail: int = 0) -> str:
    lines = text.splitlines()
    if len(lines) <= head + tail:
        return text
    return "\n".join([*lines[:head], "...", *(lines[-tail:] if tail else [])])


def ask_transcript() -> str:
    """A real interview through a pseudo-terminal, typed answers included."""
    import pexpect

    out = io.StringIO()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "triage", "ask", "--region", "uk"],
        cwd=str(ROOT),
        encoding="utf-8",
        timeout=120,  # a cap on waiting for each state on a busy machine, never a sleep
        # PAGER=cat: the advice would go through a pager on a short terminal
        env={**os.environ, "NO_COLOR": "1", "PAGER": "cat"},
        dimensions=(60, 92),
    )
    child.logfile_read = out
    for pattern, text in [
        ("Step 1", "why 2"),
        ("advice could be", "none"),
        ("Step 2", "none"),
        ("How old", "52"),
        ("Are you pregnant", "n"),
        ("mainly", "lowr back"),
        ("did you mean", "yes"),
        ("How bad", "7/10"),
        ("How long", "10 days"),
        ("feel like", "radiating, tingling"),
        ("A few more", "none"),
        ("not what I do", "none"),
    ]:
        child.expect(pattern)
        child.expect("> ")
        child.sendline(text)
    child.expect(pexpect.EOF)
    text = out.getvalue().replace("\r", "").strip("\n")
    shown = text[: text.index("Watch for these")].rstrip() + "\n\n..."
    return console("uv run triage ask --region uk", shown)


def check_wrong() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        case = "id: wrong\nanswers: {fever: yes}\nexpect: {disposition: emergency}\n"
        Path(tmp, "wrong.yaml").write_text(case)
        out = run(["batch", "--check", "--format", "table", "wrong.yaml"], cwd=Path(tmp))
    return console("cat wrong.yaml", case.rstrip()) + console(
        "uv run triage batch --check --format table wrong.yaml", out
    )


def fhir_response() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        run(["ask", "--save", "visit.fhir.json"], input="none\n5\n", cwd=Path(tmp))
        out = run(["batch", "--format", "csv", "visit.fhir.json"], cwd=Path(tmp))
    ask = "printf 'none\\n5\\n' | uv run triage ask --save visit.fhir.json > /dev/null"
    return f"```console\n$ {ask}\n```\n" + console(
        "uv run triage batch --format csv visit.fhir.json", out
    )


def compact_json(value, indent: int = 0, width: int = 96) -> str:
    """JSON with each object or list on one line when it fits, indented otherwise."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= width or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k)}: {compact_json(v, indent + 2, width).lstrip()}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + compact_json(v, indent + 2, width).lstrip() for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def api_call(path: str, body: str, cut: int = 0, tail: int = 0) -> str:
    """One request to the API, made in process, shown as the curl command that makes it."""
    from starlette.testclient import TestClient

    from triage.web.app import create_app

    with TestClient(create_app()) as client:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    shown = compact_json(response.json())
    if cut:
        shown = elide(shown, cut, tail)
    command = (
        f"curl -s -X POST localhost:8000{path} -H 'content-type: application/json' \\\n"
        f"    -d '{body}'"
    )
    status = f"HTTP {response.status_code}"
    return console(command, f"{status}\n{shown}")


EXAMPLES: dict[str, Callable[[], str]] = {
    "ask": ask_transcript,
    "batch-csv": lambda: console(
        "uv run triage batch --format csv cases/core/unsure-saddle.yaml",
        run(["batch", "--format", "csv", "cases/core/unsure-saddle.yaml"]),
    ),
    "explain": lambda: console(
        "uv run triage explain cases/core/minor-fall-age-65.yaml",
        elide(run(["explain", "cases/core/minor-fall-age-65.yaml"]), 22),
    ),
    "check-corpus": lambda: console(
        "uv run triage batch --check --format table cases/",
        elide(run(["batch", "--check", "--format", "table", "cases/"]), 3, 3),
    ),
    "check-wrong": check_wrong,
    "fhir-response": fhir_response,
    "api-interview": lambda: api_call("/v1/interview", '{"answers": {}}', 20, 11),
    "api-error": lambda: api_call("/v1/evaluate", '{"answers": {"age": 200}}'),
    "rules-check": lambda: console("uv run triage rules check", run(["rules", "check"])),
    "stdin-error": lambda: console(
        """printf '{"answers": {"age": 200}}\\n' | uv run triage batch -""",
        run(["batch", "-"], input='{"answers": {"age": 200}}\n'),
    ),
}


def render(text: str) -> str:
    def fill(m: re.Match[str]) -> str:
        return m.group(1) + EXAMPLES[m.group(2)]() + m.group(4)

    return BLOCK.sub(fill, text)


def main_() -> int:
    old = README.read_text()
    new = render(old)
    if "--check" in sys.argv:
        if new != old:
            print("README.md examples are out of date: run scripts/readme_examples.py")
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
