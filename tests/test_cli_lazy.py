"""The command group imports a command only when it runs: `--version` and `--help` start
without experta, YAML or the web stack, and `--help` reads as click would write it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import click
import pytest
from conftest import ROOT

from triage.cli import COMMANDS, main
from triage.cli.lazy import Lazy, LazyGroup

#: Modules a command that evaluates nothing has no use for.
HEAVY = (
    "experta",
    "yaml",
    "multiprocessing",
    "concurrent.futures.process",
    "starlette",
    "uvicorn",
    "jinja2",
    "fhir.resources",
    "pydantic",
    "triage.service",
    "triage.engine",
    "triage.knowledge",
    *(lazy.target.partition(":")[0] for lazy in COMMANDS.values()),
)


def imported_after(*args: str, watch: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``watch`` a fresh process has imported after running ``triage ARGS``."""
    code = (
        "import json, sys\n"
        "from triage.cli import main\n"
        "try:\n"
        "    main(sys.argv[2:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps([m for m in json.loads(sys.argv[1]) if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, json.dumps(watch), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def real(name: str) -> click.Command:
    module, _, attribute = COMMANDS[name].target.partition(":")
    return getattr(import_module(module), attribute)


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"]])
def test_version_and_help_import_no_command(args):
    assert imported_after(*args) == []


@pytest.mark.slow  # starts processes
def test_a_command_imports_only_what_it_needs():
    case = str(ROOT / "cases" / "core" / "tight-neck.yaml")
    one = imported_after("batch", "--jobs", "1", "-o", "/dev/null", case)
    assert "triage.cli.batch" in one and "experta" in one  # the check can see an import
    for module in ("multiprocessing", "concurrent.futures.process", "triage.cli.ask"):
        assert module not in one
    for web in ("starlette", "uvicorn", "jinja2", "fhir.resources", "pydantic"):
        assert web not in one
    two = imported_after("batch", "--jobs", "2", "-o", "/dev/null", case)
    assert "multiprocessing" in two and "concurrent.futures.process" in two


@pytest.mark.slow  # starts processes
def test_a_small_input_runs_in_one_process_unless_jobs_says_otherwise(tmp_path):
    case = str(ROOT / "cases" / "core" / "tight-neck.yaml")
    assert "multiprocessing" not in imported_after("batch", "-o", "/dev/null", case)
    # Over the threshold, the default is one worker per CPU again.
    big = tmp_path / "big.jsonl"
    line = json.dumps({"answers": {"age": 40, "severity": 3}, "note": "x" * 900})
    big.write_text((line + "\n") * 200)
    workers = (os.cpu_count() or 1) > 1
    assert ("multiprocessing" in imported_after("batch", "-o", "/dev/null", str(big))) is workers


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_commands_own(name):
    command = real(name)
    assert command.name == name
    assert COMMANDS[name].summary == command.get_short_help_str(limit=10**6)


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_help_is_what_click_writes_with_every_command_imported(width):
    settings = {"help_option_names": ["-h", "--help"], "terminal_width": width}
    lazy = LazyGroup("triage", lazy=COMMANDS, params=main.params, help=main.help)
    eager = click.Group("triage", [real(n) for n in COMMANDS], params=main.params, help=main.help)
    texts = [g.get_help(click.Context(g, info_name="triage", **settings)) for g in (lazy, eager)]
    assert lazy.commands == {}  # the summaries were enough
    assert texts[0] == texts[1]
    assert all(f"\n  {name} " in texts[0] for name in COMMANDS)


def test_commands_are_listed_sorted_and_each_resolves():
    ctx = click.Context(main, info_name="triage")
    assert main.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        assert main.get_command(ctx, name) is real(name)
    assert main.get_command(ctx, "nosuch") is None


def test_an_unknown_command_is_one_line(runner):
    result = runner.invoke(main, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output
    assert "Traceback" not in result.output


def test_a_table_entry_that_is_no_command_is_refused():
    group = LazyGroup("g", lazy={"x": Lazy("triage.cli:COMMANDS", "Not a command.")})
    with pytest.raises(TypeError, match="not a click command"):
        group.get_command(click.Context(group), "x")


@pytest.mark.slow  # starts processes
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--version"], ["--help"], ["batch", "--help"]])
def test_version_and_help_on_a_full_disk_are_one_line_and_status_4(args):
    """They write while the options are parsed, before any command runs."""
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "triage", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 4
    assert result.stderr.splitlines() == ["error: cannot write output: No space left on device"]


@pytest.mark.slow  # starts processes
@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_into_a_closed_pipe_end_quietly(args):
    read, write = os.pipe()
    os.close(read)
    result = subprocess.run(
        [sys.executable, "-m", "triage", *args], stdout=write, stderr=subprocess.PIPE, text=True
    )
    os.close(write)
    assert result.returncode == 141
    assert result.stderr == ""
