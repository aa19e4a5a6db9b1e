"""Tollhouse: an engine for what WeCom, WeChat and WhatsApp charge for API use, and the limits
they set. Run it with `tollhouse serve`; embed the rules through `tollhouse.domain`."""

from __future__ import annotations

from tollhouse.domain.errors import TollhouseError
from tollhouse.domain.money import Money, quantize
from tollhouse.domain.periods import Period

__all__ = ["Money", "Period", "TollhouseError", "__version__", "quantize"]
__version__ = "0.1.0"
