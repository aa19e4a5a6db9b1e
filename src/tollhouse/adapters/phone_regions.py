"""Phone number -> ISO 3166 region, backed by ``phonenumbers``; injected into the WhatsApp
market resolver (``domain/whatsapp/markets.py: RegionLookup``) by the services."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=200_000)
def region_of(digits: str) -> str | None:
    """E.164 digits without ``+`` -> region code (``"BS"``), or None when unknown."""
    try:
        number = phonenumbers.parse(f"+{digits}")
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(number)
    return None if region in (None, "001", "ZZ") else str(region)
