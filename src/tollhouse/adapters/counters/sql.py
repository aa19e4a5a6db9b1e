"""SQL quota counter (SQLite and PostgreSQL): packed byte counts per (account, month, shard).

Layout. A follower's count for a month is one byte at its dense ordinal. Ordinals are grouped
into shards of ``shard_size`` followers; each (account, month, shard) is one row whose ``counts``
column holds the bytes (grown on demand, so a shard that nobody in it received stores nothing).
A 10,000-recipient send reads and rewrites a handful of rows instead of upserting 10,000 rows
(§6.2's reference layout), which is what makes a 10,000-id charge take a few milliseconds.

Atomicity (S1, S2). Every write starts by upserting the bucket's head row in
``wechat_quota_bucket``. On PostgreSQL that takes the head row's lock, so writers on one
(account, month) serialise and no shard row is ever locked out of order (no deadlocks). On
SQLite the first write takes the database's write lock: the project engine opens transactions
with ``BEGIN IMMEDIATE`` already, and a plain pysqlite engine begins before that first write. The
shards are then read, updated in Python and written back in the same transaction. Within one
process, SQLite writers on the same database also queue on a lock, which avoids the busy-handler
sleeps of SQLite's own locking.

Idempotency (S3). With a ``key``, the refused ordinals are stored in ``wechat_quota_applied`` in
the same transaction; a retried call returns them and charges nothing.

The engine must not be configured with ``isolation_level="AUTOCOMMIT"``.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar, Final

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    delete,
    event,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from tollhouse.adapters.counters.base import (
    Bucket,
    InvalidCounterArgument,
    byte_histogram,
    check_cap,
    check_key,
    check_seed,
    distinct_sorted,
    pack_ordinals,
    unpack_ordinals,
)
from tollhouse.adapters.db.tables import metadata

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

DEFAULT_SHARD_SIZE: Final = 16_384  # followers per row: 16 KB of counts at most

quota_bucket = Table(
    "wechat_quota_bucket",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),  # local label "YYYY-MM"
    Column("version", BigInteger, nullable=False),  # +1 per write; the row is the bucket lock
)

quota_shard = Table(
    "wechat_quota_shard",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("shard", Integer, primary_key=True),  # ordinal // shard_size
    Column("counts", LargeBinary, nullable=False),  # byte i = count of ordinal shard*size + i
)

quota_applied = Table(
    "wechat_quota_applied",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("key", String(128), primary_key=True),  # e.g. "<msg_id>:<chunk_no>" (S3)
    Column("refused", LargeBinary, nullable=False),  # little-endian uint32 ordinals
)

# Counts are incompressible churn: keep them out of PostgreSQL's TOAST compression (≈ 2x faster).
# Alembic migrations must carry the same statement.
_UNCOMPRESSED = "ALTER TABLE %(table)s ALTER COLUMN counts SET STORAGE EXTERNAL"
_uncompressed = DDL(_UNCOMPRESSED)  # type: ignore[no-untyped-call]  # DDL() is unannotated
event.listen(quota_shard, "after_create", _uncompressed.execute_if(dialect="postgresql"))

Shards = dict[int, bytearray]


def touched_shards(ordinals: list[int], *, size: int) -> list[int]:
    """The shards that sorted ``ordinals`` fall in, one bisection per shard."""
    shards: list[int] = []
    start = 0
    while start < len(ordinals):
        shards.append(ordinals[start] // size)
        start = bisect_left(ordinals, (shards[-1] + 1) * size, start)
    return shards


def charge_shards(shards: Shards, ordinals: list[int], *, cap: int, size: int) -> list[int]:
    """Add one to each sorted distinct ordinal below ``cap``; return the refused ones.

    Only shards that changed stay in ``shards``; the others are removed so they are not written.
    """
    refused: list[int] = []
    changed: set[int] = set()
    start = 0
    while start < len(ordinals):
        shard = ordinals[start] // size
        stop = bisect_left(ordinals, (shard + 1) * size, start)
        base = shard * size
        buf = _grown(shards.setdefault(shard, bytearray()), ordinals[stop - 1] - base + 1)
        shards[shard] = buf
        rejected_before = len(refused)
        for ordinal in ordinals[start:stop]:
            count = buf[ordinal - base]
            if count < cap:
                buf[ordinal - base] = count + 1
            else:
                refused.append(ordinal)
        if len(refused) - rejected_before < stop - start:
            changed.add(shard)
        start = stop
    for shard in [s for s in shards if s not in changed]:
        del shards[shard]
    return refused


def _grown(buf: bytearray, length: int) -> bytearray:
    if len(buf) < length:
        buf.extend(bytes(length - len(buf)))
    return buf


class SqlQuotaCounter:
    """The default counter store, on the application's own database."""

    _process_locks: ClassVar[dict[str, threading.Lock]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, engine: Engine, *, shard_size: int = DEFAULT_SHARD_SIZE) -> None:
        if shard_size <= 0:
            raise InvalidCounterArgument("shard_size", shard_size, "a positive integer")
        self._engine = engine
        self._size = shard_size
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise InvalidCounterArgument("engine dialect", dialect, "sqlite or postgresql")
        self._insert: Any = sqlite.insert if dialect == "sqlite" else postgresql.insert
        self._lock = self._lock_for(engine) if dialect == "sqlite" else None

    @classmethod
    def _lock_for(cls, engine: Engine) -> threading.Lock:
        with cls._registry_lock:
            return cls._process_locks.setdefault(str(engine.url), threading.Lock())

    def create_tables(self) -> None:
        """For tests and the sandbox; production schemas come from the migrations."""
        metadata.create_all(self._engine, tables=[quota_bucket, quota_shard, quota_applied])

    # -- writes ------------------------------------------------------------------------------

    def consume(
        self,
        bucket: Bucket,
        ordinals: Sequence[int],
        *,
        cap: int,
        key: str | None = None,
        conn: Connection | None = None,
    ) -> list[int]:
        """See ``QuotaCounter.consume``. With ``conn`` (an open write transaction on this
        database, e.g. the unit of work's), the charge joins that transaction instead of
        opening its own, so a job's counts and its charge commit together (S2)."""
        check_cap(cap)
        check_key(key)
        unique = distinct_sorted(ordinals)
        if conn is not None:
            return self._consume(conn, bucket, unique, cap=cap, key=key)
        with self._serialised(), self._engine.begin() as own:
            return self._consume(own, bucket, unique, cap=cap, key=key)

    def _consume(
        self, conn: Connection, bucket: Bucket, unique: list[int], *, cap: int, key: str | None
    ) -> list[int]:
        self._lock_bucket(conn, bucket)
        if key is not None and (earlier := self._applied(conn, bucket, key)) is not None:
            return earlier
        shards = self._read(conn, bucket, touched_shards(unique, size=self._size))
        refused = charge_shards(shards, unique, cap=cap, size=self._size)
        self._write(conn, bucket, shards)
        if key is not None:
            conn.execute(
                quota_applied.insert().values(
                    account=bucket.account,
                    month=bucket.month,
                    key=key,
                    refused=pack_ordinals(refused),
                )
            )
        return refused

    def seed(
        self, bucket: Bucket, counts: Mapping[int, int], *, conn: Connection | None = None
    ) -> None:
        check_seed(counts)
        if conn is not None:
            self._seed(conn, bucket, counts)
            return
        with self._serialised(), self._engine.begin() as own:
            self._seed(own, bucket, counts)

    def _seed(self, conn: Connection, bucket: Bucket, counts: Mapping[int, int]) -> None:
        self._lock_bucket(conn, bucket)
        shards = self._read(conn, bucket, {o // self._size for o in counts})
        for ordinal, count in counts.items():
            shard, offset = divmod(ordinal, self._size)
            buf = _grown(shards.setdefault(shard, bytearray()), offset + 1)
            buf[offset] = count
        self._write(conn, bucket, shards)

    def reset(self, bucket: Bucket) -> None:
        with self._serialised(), self._engine.begin() as conn:
            self._lock_bucket(conn, bucket)
            for table in (quota_shard, quota_applied, quota_bucket):
                conn.execute(
                    delete(table).where(
                        table.c.account == bucket.account, table.c.month == bucket.month
                    )
                )

    # -- reads -------------------------------------------------------------------------------

    def used(
        self, bucket: Bucket, ordinals: Sequence[int], *, conn: Connection | None = None
    ) -> list[int]:
        if conn is not None:
            shards = self._read(conn, bucket, {o // self._size for o in ordinals})
        else:
            with self._engine.connect() as own:
                shards = self._read(own, bucket, {o // self._size for o in ordinals})
        return [self._count(shards, ordinal) for ordinal in ordinals]

    def histogram(self, bucket: Bucket, *, conn: Connection | None = None) -> dict[int, int]:
        if conn is not None:
            return self._histogram(conn, bucket)
        with self._engine.connect() as own:
            return self._histogram(own, bucket)

    def _histogram(self, conn: Connection, bucket: Bucket) -> dict[int, int]:
        blobs = conn.execute(
            select(quota_shard.c.counts).where(
                quota_shard.c.account == bucket.account, quota_shard.c.month == bucket.month
            )
        ).scalars()
        totals: Counter[int] = Counter()
        for blob in blobs:
            totals.update(byte_histogram(bytes(blob)))
        return dict(sorted(totals.items()))

    # -- helpers -----------------------------------------------------------------------------

    def _serialised(self) -> threading.Lock | _NoLock:
        return self._lock if self._lock is not None else _NoLock()

    def _lock_bucket(self, conn: Connection, bucket: Bucket) -> None:
        stmt = self._insert(quota_bucket).values(
            account=bucket.account, month=bucket.month, version=1
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[quota_bucket.c.account, quota_bucket.c.month],
                set_={"version": quota_bucket.c.version + 1},
            )
        )

    def _applied(self, conn: Connection, bucket: Bucket, key: str) -> list[int] | None:
        blob = conn.execute(
            select(quota_applied.c.refused).where(
                quota_applied.c.account == bucket.account,
                quota_applied.c.month == bucket.month,
                quota_applied.c.key == key,
            )
        ).scalar_one_or_none()
        return None if blob is None else unpack_ordinals(bytes(blob))

    def _read(self, conn: Connection, bucket: Bucket, shards: Collection[int]) -> Shards:
        if not shards:
            return {}
        rows = conn.execute(
            select(quota_shard.c.shard, quota_shard.c.counts).where(
                quota_shard.c.account == bucket.account,
                quota_shard.c.month == bucket.month,
                quota_shard.c.shard.in_(bindparam("shards", expanding=True)),
            ),
            {"shards": sorted(shards)},
        )
        return {shard: bytearray(counts) for shard, counts in rows}

    def _write(self, conn: Connection, bucket: Bucket, shards: Shards) -> None:
        if not shards:
            return
        stmt = self._insert(quota_shard)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[quota_shard.c.account, quota_shard.c.month, quota_shard.c.shard],
                set_={"counts": stmt.excluded.counts},
            ),
            [
                {"account": bucket.account, "month": bucket.month, "shard": s, "counts": bytes(b)}
                for s, b in sorted(shards.items())
            ],
        )

    def _count(self, shards: Shards, ordinal: int) -> int:
        shard, offset = divmod(ordinal, self._size)
        buf = shards.get(shard, b"")
        return buf[offset] if offset < len(buf) else 0


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc: object) -> None:
        return None
