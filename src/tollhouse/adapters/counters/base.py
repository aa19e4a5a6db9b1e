"""The quota counter port: per-(account, month) use counts of dense follower ordinals.

A follower gets a dense integer ordinal (0, 1, 2, …) when it is imported into an account; the
counters index by that ordinal, never by OpenID, so a month of 100,000 followers is 100,000 bytes.
Every implementation passes ``tests/integration/test_quota_counters.py``.

``consume`` is the one write on the hot path. It is atomic per call (S2): for each *distinct*
ordinal it either takes one unit (the count was below ``cap``) or refuses it (the count was at or
above ``cap``), and no interleaving of concurrent calls lets a count pass the cap (S1). With an
idempotency ``key`` (for example ``"<msg_id>:<chunk_no>"``, S3) a retried call changes nothing
and returns the refused ordinals of the first call.

Every method takes an optional ``conn``: the SQL store then works inside that open transaction
(the unit of work's), so a charge commits or rolls back with the job that caused it; the other
stores ignore it.
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from tollhouse.domain.errors import InvalidRequest

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MAX_CAP: Final = 255  # one byte per follower-month in the SQL and Redis stores
MAX_KEY_LENGTH: Final = 128
_UINT32: Final = next(code for code in "IL" if array(code).itemsize == 4)  # noqa: PLR2004 - bytes
_MONTH_LENGTH: Final = 7  # "YYYY-MM"


class InvalidCounterArgument(InvalidRequest):
    code = "counters.invalid_argument"

    def __init__(self, what: str, value: object, expected: str) -> None:
        super().__init__(f"{what} {value!r} is not valid; expected {expected}")


@dataclass(frozen=True, slots=True)
class Bucket:
    """One (account, natural month) counter space.

    ``zone`` is the account's IANA zone, used only to compute expiry (Redis); it is not part of
    the bucket's identity, so a zone change in mid-month keeps counting the same bucket (§3.5).
    """

    account: str
    month: str  # local label "YYYY-MM"
    zone: str = field(default="Asia/Shanghai", compare=False)

    def __post_init__(self) -> None:
        if not self.account or ":" in self.account or "}" in self.account:
            raise InvalidCounterArgument("account", self.account, "an id without : or }")
        if not _is_month_label(self.month):
            raise InvalidCounterArgument("month", self.month, "a 'YYYY-MM' label")

    @property
    def compact_month(self) -> str:
        return self.month.replace("-", "")


def _is_month_label(text: str) -> bool:
    year, dash, month = text.partition("-")
    return (
        len(text) == _MONTH_LENGTH
        and dash == "-"
        and year.isdigit()
        and month.isdigit()
        and 1 <= int(month) <= 12  # noqa: PLR2004 - months of the year
    )


@runtime_checkable
class QuotaCounter(Protocol):
    """Per-follower monthly use counts (M2), atomic per ``consume`` call."""

    def consume(
        self,
        bucket: Bucket,
        ordinals: Sequence[int],
        *,
        cap: int,
        key: str | None = None,
        conn: Any = None,
    ) -> list[int]:
        """Take one unit for each distinct ordinal still under ``cap``; return the refused ones.

        The refused ordinals come back sorted ascending and without duplicates.
        """
        ...

    def used(self, bucket: Bucket, ordinals: Sequence[int], *, conn: Any = None) -> list[int]:
        """How many units each ordinal has used in ``bucket`` (0 if never charged), in order."""
        ...

    def histogram(self, bucket: Bucket, *, conn: Any = None) -> dict[int, int]:
        """How many ordinals have used exactly n units, for every n ≥ 1."""
        ...

    def seed(self, bucket: Bucket, counts: Mapping[int, int], *, conn: Any = None) -> None:
        """Set counts outright (sandbox fixtures, §5.7 PUT …/quota/{month}); 0 clears one."""
        ...

    def reset(self, bucket: Bucket) -> None:
        """Forget the whole bucket, including its idempotency keys."""
        ...


def check_cap(cap: int) -> None:
    if not 0 <= cap <= MAX_CAP:
        raise InvalidCounterArgument("cap", cap, f"an integer from 0 to {MAX_CAP}")


def check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise InvalidCounterArgument("key", key, f"1 to {MAX_KEY_LENGTH} characters")


def distinct_sorted(ordinals: Sequence[int]) -> list[int]:
    """The distinct ordinals in ascending order; refuses negatives."""
    unique = sorted(set(ordinals))
    if unique and unique[0] < 0:
        raise InvalidCounterArgument("ordinal", unique[0], "a follower ordinal ≥ 0")
    return unique


def check_seed(counts: Mapping[int, int]) -> None:
    for ordinal, count in counts.items():
        if ordinal < 0:
            raise InvalidCounterArgument("ordinal", ordinal, "a follower ordinal ≥ 0")
        if not 0 <= count <= MAX_CAP:
            raise InvalidCounterArgument("count", count, f"an integer from 0 to {MAX_CAP}")


def pack_ordinals(ordinals: Sequence[int]) -> bytes:
    """Little-endian uint32s: the wire form of ordinal lists (SQL ledger, Redis scripts)."""
    packed = array(_UINT32, ordinals)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_ordinals(data: bytes) -> list[int]:
    packed = array(_UINT32)
    packed.frombytes(data)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tolist()


def byte_histogram(blob: bytes) -> dict[int, int]:
    """How many bytes hold each non-zero value."""
    if not blob:
        return {}
    return {v: n for v in range(1, max(blob) + 1) if (n := blob.count(v))}
