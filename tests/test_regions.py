"""The region from a locale or a browser's languages (shared by the terminal and the web)."""

from __future__ import annotations

import pytest

from triage.regions import region_for_languages, region_for_locale

KNOWN = {"uk", "us", "intl"}


@pytest.mark.parametrize(
    "tag, region",
    [
        ("en_GB.UTF-8", "uk"),
        ("en-GB", "uk"),
        ("cy_GB", "uk"),
        ("en_US.utf8", "us"),
        ("es-US", "us"),
        ("en_US@euro", "us"),
        ("en", None),
        ("fr_FR.UTF-8", None),
        ("zh-Hant-TW", None),
        ("C", None),
        ("POSIX", None),
        ("", None),
        ("en-GB;rm -rf", None),
    ],
)
def test_region_for_locale(tag, region):
    assert region_for_locale(tag, KNOWN) == region


def test_a_region_the_rule_base_lacks_is_none():
    assert region_for_locale("en_GB", {"us", "intl"}) is None


@pytest.mark.parametrize(
    "header, region",
    [
        ("en-GB,en;q=0.9", "uk"),
        ("en-US,en;q=0.9", "us"),
        ("en,en-GB;q=0.8", "uk"),  # no country first: the next that names one
        ("en-US;q=0.5,en-GB;q=0.9", "uk"),  # by quality, not order
        ("fr-FR,en-GB;q=0.5", None),  # in France: no region of its own, not the UK's
        ("de", None),
        ("en-GB;q=0", None),  # not acceptable at all
        ("en-GB;q=x,en-US", "us"),
        ("*", None),
        ("", None),
        (",,,;;;", None),
        ("en-GB," * 10_000, "uk"),
    ],
)
def test_region_for_languages(header, region):
    assert region_for_languages(header, KNOWN) == region
