"""Benchmark the reading level of every text a patient reads in the bundled rule base.

Walks the rule files (rules/*.yaml) and measures each patient-facing text: question prompts,
checklist items, help and "why" lines, checklist titles, outcome labels, the reasons rules give,
and every text of the advice (plans, cautions, safety net, disclaimer, exercises, tools). Rule
titles, ids, sources and citations are for reviewers and are not measured; neither are texts
of fewer than ``MIN_WORDS`` words (a label such as "Numbness"), for which the formula means
nothing. A region's words in braces ({emergency_number}) are read as the default region's.

The measure is the Flesch-Kincaid grade level, implemented here (no dependency):

    grade = 0.39 * (words / sentences) + 11.8 * (syllables / words) - 15.59

with sentences ended by . ! or ? (or by the end of the text), and syllables counted by the
usual vowel-group rule (groups of vowels, less a silent final e or -es/-ed, plus a few vowel
pairs spoken apart, at least one a word). Digits count as one syllable. Like every such counter
it is sometimes one out on a long word; the grades are for comparing texts and catching long
ones, not to the decimal.

    uv run python benchmarks/readability.py           # the worst 10, and a summary
    uv run python benchmarks/readability.py -n 30     # the worst 30
    uv run python benchmarks/readability.py --all     # every text, worst first

Every text is at grade 6 or lower, and tests/test_readability.py keeps it so.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
#: What a text must not exceed (tests/test_readability.py) and what new text aims at.
LIMIT, TARGET = 6.0, 6.0
#: Texts shorter than this are not measured: the formula needs sentences, not labels.
MIN_WORDS = 5
#: Keys whose string values (or lists of strings) a patient reads.
PATIENT_KEYS = frozenset(
    {"text", "prompt", "item", "help", "why", "reason", "label", "how", "note", "use_for"}
    | {"pros", "cons", "title", "labels"}
)
#: Files a patient reads none of (citations; a region's words are fragments of other texts).
SKIPPED_FILES = frozenset({"sources.yaml", "regions.yaml"})

_WORD = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)*|\d+(?:[.,]\d+)?")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s|$)")
_BRACED = re.compile(r"\{([a-z_]+)\}")


def syllables(word: str) -> int:
    """Syllables in one word, by the vowel-group rule: "pain" 1, "tingling" 2, "spine" 1,
    "stretches" 2, "started" 2, "squeezed" 1, "being" 2, "area" 3."""
    if word[:1].isdigit():
        return 1
    w = re.sub(r"[^a-z]", "", word.lower())
    if len(w) <= 3:
        return 1
    # A silent final e, -es or -ed ("spine", "makes", "squeezed"), but not a spoken one
    # ("stretches", "started", "needed", "little").
    w = re.sub(r"(?:(?<![sxzhcg])es|(?<![td])ed|(?<!l)e)$", "", w)
    w = re.sub(r"^y", "", w)
    groups = len(re.findall(r"[aeiouy]+", w))
    spoken_apart = len(re.findall(r"[aeiou]ing|[^cgst]ia|ea$|[^q]ua[^aeiouy]", w))  # being, area
    return max(1, groups + spoken_apart)


def counts(text: str) -> tuple[int, int, int]:
    """Words, sentences and syllables of a text."""
    words = _WORD.findall(text)
    ended = _SENTENCE_END.findall(text.strip() + " ")
    last = _SENTENCE_END.split(text.strip() + " ")[-1]  # words after the last full stop
    sentences = len(ended) + (1 if _WORD.search(last) else 0)
    return len(words), sentences, sum(syllables(w) for w in words)


def grade(text: str) -> float:
    """The Flesch-Kincaid grade level of a text (0.0 for a text without words)."""
    words, sentences, syll = counts(text)
    if not words:
        return 0.0
    return 0.39 * words / sentences + 11.8 * syll / words - 15.59


def _region_words(rules: Path) -> dict[str, str]:
    """The default region's words, to read "{emergency_number}" as a person does."""
    data = yaml.safe_load((rules / "regions.yaml").read_text(encoding="utf-8")) or {}
    for region in data.get("regions", []):
        if region.get("id") == data.get("default"):
            return dict(region.get("words", {}))
    return {}


def texts(rules: Path = RULES) -> Iterator[tuple[str, str]]:
    """Every patient-facing text of a rule base: (where, text), where is "file: path"."""
    words = _region_words(rules)
    for path in sorted(rules.glob("*.yaml")):
        if path.name in SKIPPED_FILES:
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for where, text in _walk(data, ""):
            filled = _BRACED.sub(lambda m: words.get(m.group(1), m.group(1)), text)
            yield f"{path.name}: {where}", filled


def _walk(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        is_rule = "tier" in node and "then" in node  # a rule: its title is for reviewers
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key in PATIENT_KEYS and not (is_rule and key == "title"):
                yield from _strings(value, here)
            elif isinstance(value, dict | list):
                yield from _walk(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = value.get("id") if isinstance(value, dict) else None
            yield from _walk(value, f"{where}[{label or i}]")


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{where}[{i}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from (_strings(v, f"{where}.{k}") if isinstance(v, str) else _walk(v, where))


def measured(rules: Path = RULES) -> list[tuple[float, str, str]]:
    """(grade, where, text) for every text long enough to measure, worst first."""
    out = [
        (round(grade(text), 1), where, text)
        for where, text in texts(rules)
        if counts(text)[0] >= MIN_WORDS
    ]
    return sorted(out, key=lambda g: (-g[0], g[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10, help="how many of the worst to print")
    parser.add_argument("--all", action="store_true", help="print every text")
    parser.add_argument("--rules", type=Path, default=RULES, help="a rule base directory")
    args = parser.parse_args(argv)
    rows = measured(args.rules)
    if not rows:
        print("no texts found", file=sys.stderr)
        return 1
    grades = [g for g, _, _ in rows]
    over = sum(g > LIMIT for g in grades)
    print(
        f"{len(rows)} texts: median grade {statistics.median(grades):.1f}, "
        f"{sum(g <= TARGET for g in grades)} at or under {TARGET:g}, {over} over {LIMIT:g}"
    )
    for g, where, text in rows if args.all else rows[: args.n]:
        print(f"{g:5.1f}  {where}\n       {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
