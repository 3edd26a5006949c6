"""The cache of parsed rule files: used when the files are the same, and never a fault."""

from __future__ import annotations

import datetime
import os

import pytest

from triage import knowledge, rulecache
from triage.errors import RuleBaseError
from triage.knowledge import load_rulebase


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(root))
    return root


@pytest.fixture()
def parses(monkeypatch):
    """The rule files parsed from YAML, by name, in order."""
    seen: list[str] = []
    parse = knowledge.parse_yaml

    def counting(path, data):
        seen.append(path.name)
        return parse(path, data)

    monkeypatch.setattr(knowledge, "parse_yaml", counting)
    return seen


def entries(cache):
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_a_second_load_reads_the_cache_and_gives_the_same_rule_base(cache, parses, rules_copy):
    first = load_rulebase(rules_copy)
    assert len(parses) == len(first.files)
    assert [e.split("-")[0] for e in entries(cache)] == [first.sha256]
    second = load_rulebase(rules_copy)
    assert len(parses) == len(first.files)  # nothing parsed again
    assert second == first
    assert second is not first and second.rules is not first.rules


def test_any_change_to_a_file_is_parsed_again(cache, parses, rules_copy):
    first = load_rulebase(rules_copy)
    path = rules_copy / "policy.yaml"
    path.write_bytes(path.read_bytes() + b"\n# a comment\n")
    parses.clear()
    second = load_rulebase(rules_copy)
    assert len(parses) == len(first.files)
    assert second.sha256 != first.sha256
    assert len(entries(cache)) == 2


@pytest.mark.parametrize(
    "content", [b"", b"\x00garbage", b"[1, 2]", b'{"questions.yaml": {}}', b'{"x": 1']
)
def test_a_broken_or_foreign_entry_is_ignored_and_written_again(cache, parses, rules_copy, content):
    first = load_rulebase(rules_copy)
    (entry,) = cache.iterdir()
    entry.write_bytes(content)
    parses.clear()
    assert load_rulebase(rules_copy) == first
    assert len(parses) == len(first.files)
    parses.clear()
    assert load_rulebase(rules_copy) == first
    assert parses == []


def test_a_cache_that_cannot_be_written_is_no_fault(tmp_path, monkeypatch, parses, rules_copy):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(blocker / "cache"))
    first = load_rulebase(rules_copy)
    assert load_rulebase(rules_copy) == first
    assert len(parses) == 2 * len(first.files)
    assert blocker.read_text() == "not a directory"


def test_off_means_no_cache(tmp_path, monkeypatch, parses, rules_copy):
    monkeypatch.setenv("TRIAGE_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    first = load_rulebase(rules_copy)
    load_rulebase(rules_copy)
    assert len(parses) == 2 * len(first.files)
    assert not (tmp_path / "xdg").exists()


def test_the_default_place_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("TRIAGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert rulecache.cache_dir() == tmp_path / "triage"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # not absolute: ignored, as XDG says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert rulecache.cache_dir() == tmp_path / "home" / ".cache" / "triage"


def test_an_invalid_rule_base_is_not_cached(cache, rules_copy):
    path = rules_copy / "policy.yaml"
    path.write_text(path.read_text().replace("version:", "versio:", 1))
    for _ in range(2):
        with pytest.raises(RuleBaseError) as err:
            load_rulebase(rules_copy)
    assert "policy.yaml" in str(err.value)
    assert entries(cache) == []


def test_the_same_error_from_a_cached_rule_base_after_a_change(cache, rules_copy):
    load_rulebase(rules_copy)
    path = rules_copy / "questions.yaml"
    path.write_text(path.read_text() + "\nbogus: [\n")
    with pytest.raises(RuleBaseError, match="invalid YAML"):
        load_rulebase(rules_copy)


@pytest.mark.parametrize(
    "docs",
    [
        {"a.yaml": {"when": datetime.date(2026, 12, 2)}},  # YAML dates: JSON has none
        {"a.yaml": {1: "a key that is no string"}},
        {"a.yaml": {"big": 2**70}},
        {"a.yaml": {"text": "\ud800"}},
        {"a.yaml": {"nan": float("nan")}},
    ],
)
def test_what_json_cannot_hold_exactly_is_not_cached(docs):
    assert rulecache.encode(docs) is None


def test_what_json_holds_comes_back_the_same():
    docs = {"a.yaml": {"n": 1, "x": 1.0, "yes": True, "none": None, "list": ["é", 2]}}
    data = rulecache.encode(docs)
    assert data is not None
    assert rulecache.orjson.loads(data) == docs


def test_only_the_newest_entries_are_kept(cache, monkeypatch):
    monkeypatch.setattr(rulecache, "KEEP", 3)
    for i in range(5):
        rulecache.store(f"{i:064x}", "p", b"{}")
        os.utime(next(cache.glob(f"{i:064x}-*")), (i, i))  # mtimes in order, whatever the clock
    assert [e[63] for e in entries(cache)] == ["2", "3", "4"]


def test_nothing_but_old_entries_is_ever_removed(cache, monkeypatch):
    monkeypatch.setattr(rulecache, "KEEP", 1)
    cache.mkdir(mode=0o700)
    mine = [cache / "report.json", cache / f"{'a' * 64}.json", cache / "notes.txt"]
    for p in mine:
        p.write_text("{}")
    old_tmp, new_tmp = cache / ".tmp-old", cache / ".tmp-new"
    old_tmp.write_text("{")
    new_tmp.write_text("{")
    os.utime(old_tmp, (0, 0))  # left by a writer that died long ago
    for i in range(3):
        rulecache.store(f"{i:064x}", "p", b"{}")
    assert all(p.exists() for p in mine) and new_tmp.exists() and not old_tmp.exists()
    assert len([e for e in entries(cache) if e.endswith(f"-p-{rulecache.FORMAT}.json")]) == 1


def test_an_entry_changed_by_hand_or_copied_under_another_name_is_not_used(
    cache, parses, rules_copy
):
    first = load_rulebase(rules_copy)
    (entry,) = cache.iterdir()
    data = entry.read_bytes()
    assert b"Emergency" in data
    entry.write_bytes(data.replace(b"Emergency", b"Tampered", 1))
    parses.clear()
    assert load_rulebase(rules_copy) == first
    assert len(parses) == len(first.files)
    # the same content under the name of another rule base (say, another version of it)
    parser = knowledge._parser_version()
    assert rulecache.load(first.sha256, parser, first.files) is not None  # written again
    (cache / entry.name.replace(first.sha256, "0" * 64)).write_bytes(entry.read_bytes())
    assert rulecache.load("0" * 64, parser, first.files) is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_a_directory_others_may_write_to_is_not_used(cache, parses, rules_copy):
    cache.mkdir()
    cache.chmod(0o777)
    first = load_rulebase(rules_copy)
    load_rulebase(rules_copy)
    assert entries(cache) == []
    assert len(parses) == 2 * len(first.files)


def test_a_new_cache_directory_is_private(cache, rules_copy):
    load_rulebase(rules_copy)
    assert cache.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_an_entry_that_is_no_regular_file_or_too_large_is_a_miss(
    cache, parses, rules_copy, monkeypatch, kind
):
    first = load_rulebase(rules_copy)
    (entry,) = cache.iterdir()
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)  # opened for reading, it would wait for a writer for ever
    elif kind == "dev-zero":
        entry.symlink_to("/dev/zero")  # never ends
    else:
        monkeypatch.setattr(rulecache, "MAX_ENTRY_BYTES", 100)
        entry.write_bytes(b"0" * 101)
    parses.clear()
    assert load_rulebase(rules_copy) == first
    assert len(parses) == len(first.files)


def test_a_relative_cache_directory_is_taken_from_where_the_command_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIAGE_CACHE_DIR", "here")
    assert rulecache.cache_dir() == tmp_path / "here"
