"""In-memory quota counter: the fake for tests and the single-process sandbox."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

from tollhouse.adapters.counters.base import (
    Bucket,
    check_cap,
    check_key,
    check_seed,
    distinct_sorted,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class MemoryQuotaCounter:
    """Plain dicts behind one lock; atomic per call within the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[Bucket, Counter[int]] = {}
        self._applied: dict[tuple[Bucket, str], list[int]] = {}

    def consume(
        self,
        bucket: Bucket,
        ordinals: Sequence[int],
        *,
        cap: int,
        key: str | None = None,
        conn: Any = None,  # noqa: ARG002 - used by the SQL store only
    ) -> list[int]:
        check_cap(cap)
        check_key(key)
        unique = distinct_sorted(ordinals)
        with self._lock:
            if key is not None and (earlier := self._applied.get((bucket, key))) is not None:
                return list(earlier)
            used = self._used.setdefault(bucket, Counter())
            before = [used[ordinal] for ordinal in unique]
            refused = [o for o, n in zip(unique, before, strict=True) if n >= cap]
            used.update(o for o, n in zip(unique, before, strict=True) if n < cap)
            if key is not None:
                self._applied[bucket, key] = refused
            return list(refused)

    def used(self, bucket: Bucket, ordinals: Sequence[int], *, conn: Any = None) -> list[int]:  # noqa: ARG002
        with self._lock:
            used = self._used.get(bucket, Counter())
            return [used[ordinal] for ordinal in ordinals]

    def histogram(self, bucket: Bucket, *, conn: Any = None) -> dict[int, int]:  # noqa: ARG002
        with self._lock:
            used = self._used.get(bucket, Counter())
            return dict(sorted(Counter(n for n in used.values() if n > 0).items()))

    def seed(self, bucket: Bucket, counts: Mapping[int, int], *, conn: Any = None) -> None:  # noqa: ARG002
        check_seed(counts)
        with self._lock:
            used = self._used.setdefault(bucket, Counter())
            for ordinal, count in counts.items():
                if count:
                    used[ordinal] = count
                else:
                    used.pop(ordinal, None)

    def reset(self, bucket: Bucket) -> None:
        with self._lock:
            self._used.pop(bucket, None)
            for applied in [k for k in self._applied if k[0] == bucket]:
                del self._applied[applied]
