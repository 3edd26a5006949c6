"""Which region's advice (emergency number, urgent help) fits a person, from their language.

The web pages read the browser's ``Accept-Language`` ("en-GB,en;q=0.8"); the terminal can read
its locale (``LANG=en_GB.UTF-8``). Both name a country after the language; the country picks
one of the rule base's regions. Only countries whose region the rule base defines are mapped:
any other country gives no region, and the rule base's default applies.

Kept out of the front ends so that the terminal and the web share one mapping.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# A country (ISO 3166-1 alpha-2, upper case) -> a region id of regions.yaml. Not clinical:
# which country's phone numbers a region's words hold.
COUNTRY_REGIONS = {"GB": "uk", "UK": "uk", "US": "us"}

_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def region_for_locale(tag: str, regions: Collection[str]) -> str | None:
    """The region of one language tag or locale ("en-GB", "en_US.UTF-8"), if known."""
    tag = tag.strip().split(".", 1)[0].split("@", 1)[0]
    if not _TAG.match(tag):
        return None
    for part in re.split(r"[-_]", tag)[1:]:
        if len(part) == 2 and part.isalpha():  # the region subtag (a script has 4 letters)
            region = COUNTRY_REGIONS.get(part.upper())
            return region if region in regions else None
    return None


def region_for_languages(header: str, regions: Collection[str]) -> str | None:
    """The region of an ``Accept-Language`` header: the first of the most preferred tags
    that names a known country ("fr-FR" names one with no region: None, not the next)."""
    ranked: list[tuple[float, int, str]] = []
    for i, item in enumerate(header.split(",")[:32]):  # bounded: a header could be long
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            ranked.append((-quality, i, tag))
    for _, _, tag in sorted(ranked):
        if re.search(r"[-_][A-Za-z]{2}(?:$|[-_.])", tag):  # names a country
            return region_for_locale(tag, regions)
    return None
