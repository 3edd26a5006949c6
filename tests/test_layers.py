"""One direction of imports: the knowledge, the engine and what they build never import a
front end, and the web and FHIR layers never import the terminal's.

Read from the source (every ``import``, also those inside functions), so a lazy import
counts as much as one at the top of a module. The two known circles between the case readers
and writers and the FHIR layer are listed here until a format registry replaces them (issue
24); any other import against the direction fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "triage"
FRONT_ENDS = ("triage.cli", "triage.web", "triage.fhir")
TERMINAL = ("click", "triage.render", "triage.cli")
# (module, what it imports): the two circles left, each a lazy import of a FHIR reader or
# writer from the layer FHIR itself builds on.
KNOWN = {
    ("triage.cases", "triage.fhir.responses"),
    ("triage.formats", "triage.fhir.guidance"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute names."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    return {_module(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_core_never_imports_a_front_end():
    graph = _graph()
    core = [m for m in graph if not _within(m, FRONT_ENDS) and m != "triage.__main__"]
    assert "triage.engine" in core and "triage.knowledge" in core
    wrong = {
        (m, i)
        for m in core
        for i in graph[m]
        if _within(i, FRONT_ENDS) and (m, i.rsplit(".", 1)[0]) not in KNOWN and (m, i) not in KNOWN
    }
    assert not wrong, f"imports against the layers: {sorted(wrong)}"


def test_the_known_circles_are_still_there_or_gone_from_this_list():
    graph = _graph()
    for module, target in KNOWN:
        assert target in graph[module], f"{module} no longer imports {target}: drop it from KNOWN"


def test_web_and_fhir_never_import_the_terminal():
    graph = _graph()
    wrong = {
        (m, i)
        for m in graph
        if _within(m, ("triage.web", "triage.fhir"))
        for i in graph[m]
        if _within(i, TERMINAL)
    }
    assert not wrong, f"the terminal's code in web or FHIR: {sorted(wrong)}"


def test_the_graph_reads_relative_and_lazy_imports():
    graph = _graph()
    assert "triage.words" in graph["triage.web.pages"]  # from ..words import ...
    assert "triage.fhir.responses" in graph["triage.cases"]  # inside a function
