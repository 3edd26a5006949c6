"""Which region's advice fits a person when they did not say: from their language setting.

A terminal's locale (``LANG=en_GB.UTF-8``) and a browser's ``Accept-Language`` (``en-GB``) both
name a language and, often, a country. The mapping from those settings to regions is data: each
region in ``rules/regions.yaml`` lists its ``locales`` (``en_GB``). A setting that names no
country, or one no region lists, chooses nothing, and the rule base's default region applies.
The front ends (``triage ask``, the web pages) share these functions, so they agree.

Every parser here is linear in its input: splits and one regular expression without nested
quantifiers, on inputs cut to a bounded length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .plans import Region

#: The locale variables that name the language of messages, in the order POSIX reads them.
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
_MAX_SETTING = 200  # characters of one setting looked at
_MAX_TAGS = 20  # languages of an Accept-Language header looked at
_SUBTAG = re.compile(r"[A-Za-z0-9]{1,8}")
_QUALITY = re.compile(r"q=([01](?:\.[0-9]{0,3})?)")


def language_country(setting: str) -> tuple[str, str] | None:
    """``("en", "GB")`` for ``en_GB.UTF-8``, ``en-GB``, ``en-Latn-GB`` or ``en_GB@euro``;
    None when the setting names no country (``en``, ``C``, ``POSIX``, ``C.UTF-8``)."""
    tag = setting[:_MAX_SETTING].split(".", 1)[0].split("@", 1)[0].strip()
    parts = tag.replace("_", "-").split("-")
    if len(parts) < 2 or not all(_SUBTAG.fullmatch(p) for p in parts):
        return None
    language = parts[0]
    if not (2 <= len(language) <= 3 and language.isalpha()):
        return None
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():  # the first two-letter subtag is the country
            return language.lower(), part.upper()
    return None


def region_for_setting(regions: Mapping[str, Region], setting: str) -> str | None:
    """The id of the region whose ``locales`` list this setting's language and country."""
    found = language_country(setting)
    if found is None:
        return None
    wanted = f"{found[0]}_{found[1]}"
    for region in regions.values():
        if wanted in region.locales:
            return region.id
    return None


def locale_setting(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The variable that sets the language of messages and its value (``("LANG",
    "en_GB.UTF-8")``): the first of LC_ALL, LC_MESSAGES, LANG that is set and not empty."""
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "")
        if value:
            return name, value
    return None


def region_from_locale(regions: Mapping[str, Region], environ: Mapping[str, str]) -> str | None:
    """The region the locale chooses (``LANG=en_GB.UTF-8``: ``uk``), or None."""
    setting = locale_setting(environ)
    return region_for_setting(regions, setting[1]) if setting else None


def accept_language_tags(header: str) -> list[str]:
    """An ``Accept-Language`` header's language tags, most wanted first (ties in the order
    given); tags with ``q=0`` and ``*`` left out."""
    weighted: list[tuple[float, int, str]] = []
    for i, item in enumerate(header[: _MAX_SETTING * _MAX_TAGS].split(",")[:_MAX_TAGS]):
        tag, _, params = item.partition(";")
        tag = tag.strip()
        quality = 1.0
        m = _QUALITY.fullmatch(params.strip().replace(" ", ""))
        if params.strip():
            if m is None:
                continue
            quality = float(m.group(1))
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, i, tag))
    return [tag for _, _, tag in sorted(weighted)]


def region_from_accept_language(regions: Mapping[str, Region], header: str) -> str | None:
    """The region a browser's languages choose: the most wanted tag that names a country
    decides (``en-GB``: ``uk``; ``fr-FR`` first: no region, so the default)."""
    return _first_country(regions, accept_language_tags(header))


def _first_country(regions: Mapping[str, Region], tags: Iterable[str]) -> str | None:
    for tag in tags:
        if language_country(tag) is not None:
            return region_for_setting(regions, tag)
    return None
