"""The region from a language setting: the locale in a terminal, Accept-Language on the web."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage.cli import main
from triage.errors import RuleBaseError
from triage.knowledge import load_rulebase
from triage.regions import (
    accept_language_tags,
    language_country,
    locale_setting,
    region_for_setting,
    region_from_accept_language,
    region_from_locale,
)


@pytest.fixture(scope="module")
def regions(triage):
    return triage.rulebase.plans.regions


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("en_GB.UTF-8", ("en", "GB")),
        ("en_GB", ("en", "GB")),
        ("en-gb", ("en", "GB")),
        ("cy_GB.UTF-8@euro", ("cy", "GB")),
        ("en-Latn-US", ("en", "US")),
        ("es-419", None),  # a region of the world, not a country
        ("en", None),
        ("C", None),
        ("C.UTF-8", None),
        ("POSIX", None),
        ("", None),
        ("e_GB", None),
        ("en_G B", None),
    ],
)
def test_language_and_country_of_a_setting(setting, expected):
    assert language_country(setting) == expected


@pytest.mark.parametrize(
    ("setting", "region"),
    [
        ("en_GB.UTF-8", "uk"),
        ("en_US.UTF-8", "us"),
        ("es_US.UTF-8", "us"),
        ("de_DE.UTF-8", None),
        ("en_IE.UTF-8", None),
        ("C.UTF-8", None),
    ],
)
def test_the_regions_listed_locales_choose_it(regions, setting, region):
    assert region_for_setting(regions, setting) == region


def test_lc_all_then_lc_messages_then_lang(regions):
    assert region_from_locale(regions, {"LANG": "en_GB.UTF-8"}) == "uk"
    both = {"LC_MESSAGES": "en_US.UTF-8", "LANG": "en_GB.UTF-8"}
    assert region_from_locale(regions, both) == "us"
    assert region_from_locale(regions, {"LC_ALL": "C", **both}) is None
    assert region_from_locale(regions, {"LC_ALL": "", **both}) == "us"
    assert locale_setting({"LC_ALL": "", "LANG": "en_GB"}) == ("LANG", "en_GB")
    assert region_from_locale(regions, {}) is None


@pytest.mark.parametrize(
    ("header", "region"),
    [
        ("en-GB,en;q=0.9", "uk"),
        ("en-US,en;q=0.9", "us"),
        ("en,en-GB;q=0.9", "uk"),  # "en" names no country: the next one decides
        ("fr-FR,en-GB;q=0.8", None),  # a French browser in France: the default
        ("en-US;q=0.5, en-GB", "uk"),  # most wanted first, whatever the order
        ("en-GB;q=0, en-US;q=0.1", "us"),  # q=0: not wanted at all
        ("en-GB;q=bad, en-US;q=0.1", "us"),
        ("*", None),
        ("", None),
    ],
)
def test_accept_language(regions, header, region):
    assert region_from_accept_language(regions, header) == region


def test_accept_language_ties_keep_their_order():
    assert accept_language_tags("de, en-GB , fr;q=0.5, it") == ["de", "en-GB", "it", "fr"]


@given(st.text(max_size=300))
def test_any_header_or_setting_gives_a_region_or_none(regions, text):
    assert region_from_accept_language(regions, text) in (None, *regions)
    assert region_for_setting(regions, text) in (None, *regions)


def test_a_huge_header_is_read_in_bounded_time(regions):
    assert region_from_accept_language(regions, "en-GB;q=0.1," * 200_000) == "uk"
    assert region_for_setting(regions, "en_" + "G" * 1_000_000) is None


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("locales: [en_GB, cy_GB, gd_GB]", "locales: en_GB", "expected a list"),
        (
            "locales: [en_GB, cy_GB, gd_GB]",
            "locales: [en-GB]",
            "a setting such as en_GB, not 'en-GB'",
        ),
        ("locales: [en_US, es_US]", "locales: [en_US, en_GB]", "en_GB already chooses"),
    ],
)
def test_a_wrong_locales_list_is_named(rules_copy, old, new, message):
    path = rules_copy / "regions.yaml"
    path.write_text(path.read_text().replace(old, new, 1))
    with pytest.raises(
        RuleBaseError, match=r"regions\.yaml: .*field 'locales': (expected )?" + message
    ):
        load_rulebase(rules_copy)


@pytest.mark.parametrize(
    ("env", "args", "number", "shown"),
    [
        ({"LANG": "en_GB.UTF-8"}, [], "Call 999", "United Kingdom (from your language setting"),
        ({"LC_ALL": "en_US.UTF-8", "LANG": "en_GB.UTF-8"}, [], "Call 911", "United States"),
        ({"LANG": "de_DE.UTF-8"}, [], "112", "Another country (your language setting"),
        ({"LANG": "en_GB.UTF-8"}, ["--region", "us"], "Call 911", "United States. For"),
    ],
)
def test_ask_takes_the_region_from_the_locale(env, args, number, shown, runner):
    clean = {"LC_ALL": None, "LC_MESSAGES": None, "LANG": None, "TRIAGE_REGION": None}
    result = runner.invoke(main, ["ask", *args], input="4\n", env={**clean, **env})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert number in out
    assert f"Phone numbers and services are for: {shown}" in out
    assert "For another country, start again with --region" in out
