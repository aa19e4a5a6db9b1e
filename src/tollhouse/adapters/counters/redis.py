"""Redis quota counter: one Lua script call per chunk of ≤ 10,000 ordinals (§6.3).

Keys carry the hash tag ``{<account>:<yyyymm>}``, so both keys of a bucket live in one Redis
Cluster slot and a script never raises ``CROSSSLOT``:

- ``wx:{<account>:<yyyymm>}:fmb``: a string, byte i = count of follower ordinal i (the byte-wide
  form of §6.3's ``BITFIELD`` alternative: 1 byte per follower-month instead of ≈ 72);
- ``wx:{<account>:<yyyymm>}:applied``: a hash, idempotency key → packed refused ordinals (S3).

The script reads the counts, charges each ordinal below the cap, writes the string back and sets
``EXPIREAT`` (start of the month two months later, account zone) in the same atomic step (S1, S2,
S6). Ordinals travel as one packed little-endian uint32 string, not 10,000 arguments.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

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
from tollhouse.domain.periods import add_months, local_midnight, to_unix

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from redis import Redis

CHUNK: Final = 10_000  # ordinals per script call (§6, S2)
# A month already past by the server's clock (a sandbox clock set in the past) would expire at
# once; such a bucket is kept this long after its last write instead.
PAST_MONTH_RETENTION_S: Final = 62 * 86_400

CONSUME_LUA: Final = """
local counts_key, applied_key = KEYS[1], KEYS[2]
local cap, expire_at, idem, packed = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]
local now = tonumber(redis.call('TIME')[1])
if expire_at <= now then expire_at = now + tonumber(ARGV[5]) end
if idem ~= '' then
  local earlier = redis.call('HGET', applied_key, idem)
  if earlier then return earlier end
end
local s = redis.call('GET', counts_key) or ''
local len = #s
local byte, sub, char, rep = string.byte, string.sub, string.char, string.rep
local pieces, refused = {}, {}
local np, nr, copied = 0, 0, 0
for k = 1, #packed, 4 do
  local b1, b2, b3, b4 = byte(packed, k, k + 3)
  local pos = b1 + b2 * 256 + b3 * 65536 + b4 * 16777216 + 1
  local c = 0
  if pos <= len then c = byte(s, pos) end
  if c < cap then
    if copied < len and copied + 1 <= pos - 1 then
      np = np + 1; pieces[np] = sub(s, copied + 1, math.min(pos - 1, len))
    end
    local zeros = pos - 1 - math.max(copied, len)
    if zeros > 0 then np = np + 1; pieces[np] = rep('\\0', zeros) end
    np = np + 1; pieces[np] = char(c + 1)
    copied = pos
  else
    nr = nr + 1; refused[nr] = sub(packed, k, k + 3)
  end
end
if np > 0 then
  if copied < len then np = np + 1; pieces[np] = sub(s, copied + 1) end
  redis.call('SET', counts_key, table.concat(pieces))
  redis.call('EXPIREAT', counts_key, expire_at)
end
local result = table.concat(refused)
if idem ~= '' then
  redis.call('HSET', applied_key, idem, result)
  redis.call('EXPIREAT', applied_key, expire_at)
end
return result
"""


def bucket_expiry(bucket: Bucket) -> int:
    """Unix seconds of 00:00 on day 1 two months after the bucket's month, in its zone (§6.3)."""
    year, month = (int(part) for part in bucket.month.split("-"))
    first = add_months(date(year, month, 1), 2)
    return to_unix(local_midnight(first, ZoneInfo(bucket.zone)))


def counts_key(bucket: Bucket) -> str:
    return f"wx:{{{bucket.account}:{bucket.compact_month}}}:fmb"


def applied_key(bucket: Bucket) -> str:
    return f"wx:{{{bucket.account}:{bucket.compact_month}}}:applied"


class RedisQuotaCounter:
    """Counter store for high rates; the client must not decode responses."""

    def __init__(self, client: Redis) -> None:
        if client.get_connection_kwargs().get("decode_responses"):
            raise InvalidCounterArgument(
                "redis client", client, "a client created with decode_responses=False"
            )
        self._client = client
        self._consume = client.register_script(CONSUME_LUA)

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
        if len(unique) > CHUNK:
            raise InvalidCounterArgument("ordinal count", len(unique), f"at most {CHUNK} a call")
        reply = self._consume(
            keys=[counts_key(bucket), applied_key(bucket)],
            args=[
                cap,
                bucket_expiry(bucket),
                key or "",
                pack_ordinals(unique),
                PAST_MONTH_RETENTION_S,
            ],
        )
        return unpack_ordinals(bytes(reply))

    def used(self, bucket: Bucket, ordinals: Sequence[int], *, conn: Any = None) -> list[int]:  # noqa: ARG002
        blob = self._counts(bucket)
        return [blob[o] if 0 <= o < len(blob) else 0 for o in ordinals]

    def histogram(self, bucket: Bucket, *, conn: Any = None) -> dict[int, int]:  # noqa: ARG002
        return byte_histogram(self._counts(bucket))

    def seed(self, bucket: Bucket, counts: Mapping[int, int], *, conn: Any = None) -> None:  # noqa: ARG002
        check_seed(counts)
        if not counts:
            return
        key = counts_key(bucket)
        pipe = self._client.pipeline(transaction=True)
        for ordinal, count in sorted(counts.items()):
            pipe.setrange(key, ordinal, bytes([count]))
        pipe.expireat(key, self._expiry(bucket))
        pipe.execute()

    def reset(self, bucket: Bucket) -> None:
        self._client.delete(counts_key(bucket), applied_key(bucket))

    def _expiry(self, bucket: Bucket) -> int:
        server_now, _micros = self._client.time()
        expiry = bucket_expiry(bucket)
        return expiry if expiry > server_now else server_now + PAST_MONTH_RETENTION_S

    def _counts(self, bucket: Bucket) -> bytes:
        blob = self._client.get(counts_key(bucket))
        if blob is None:
            return b""
        return blob if isinstance(blob, bytes) else blob.encode("latin-1")
