"""Analytics in Meta's shapes (R-AN-1, R-AN-2, §4.6, §4.7) and the WhatsApp event feed.

``pricing_analytics`` answers from PMP charges, ``conversation_analytics`` from CBP charges;
buckets align to 00:00 in the WABA's zone; ``cost`` is the exact sum of Meta charges (D-28),
written as a JSON number without passing through float.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from tollhouse.domain.periods import local_midnight, natural_day, natural_month
from tollhouse.domain.whatsapp.errors import InvalidAnalyticsQuery
from tollhouse.services.runtime import Runtime
from tollhouse.services.whatsapp import require_waba, tenant_of

_FIELD: Final = re.compile(r"^(pricing_analytics|conversation_analytics)((?:\.\w+\([^()]*\))*)$")
_PARAM: Final = re.compile(r"\.(\w+)\(([^()]*)\)")
GRANULARITIES: Final = ("HALF_HOUR", "DAILY", "MONTHLY")
PRICING_DIMENSIONS: Final = {
    "COUNTRY": "country",
    "PHONE": "phone_number",
    "PRICING_CATEGORY": "pricing_category",
    "PRICING_TYPE": "pricing_type",
    "TIER": "tier",
}
CONVERSATION_DIMENSIONS: Final = {
    "CONVERSATION_CATEGORY": "conversation_category",
    "CONVERSATION_DIRECTION": "conversation_direction",
    "CONVERSATION_TYPE": "conversation_type",
    "COUNTRY": "country",
    "PHONE": "phone_number",
}
LIST_PARAMS: Final = frozenset(
    {
        "dimensions",
        "phone_numbers",
        "country_codes",
        "metric_types",
        "pricing_categories",
        "pricing_types",
        "conversation_categories",
        "conversation_types",
        "conversation_directions",
    }
)
_TIERED: Final = frozenset({"utility", "authentication", "authentication_international"})
_MARK: Final = "\u0000dec:"


def _values(raw: str) -> list[str]:
    text = raw.strip().removeprefix("[").removesuffix("]")
    return [v.strip().strip("'\"") for v in text.split(",") if v.strip().strip("'\"")]


def parse_fields(fields: str) -> tuple[str, dict[str, Any]]:
    matched = _FIELD.match(fields.strip())
    if matched is None:
        raise InvalidAnalyticsQuery(
            "fields",
            "expected pricing_analytics.… or conversation_analytics.… with .name(value) parameters",
        )
    params: dict[str, Any] = {}
    for name, raw in _PARAM.findall(matched[2]):
        params[name] = _values(raw) if name in LIST_PARAMS else raw.strip()
    for name in ("start", "end"):
        if not str(params.get(name, "")).isdigit():
            raise InvalidAnalyticsQuery(name, "must be Unix seconds, for example start(1748761200)")
        params[name] = int(params[name])
    if params["end"] <= params["start"]:
        raise InvalidAnalyticsQuery("end", "must be after start")
    params["granularity"] = str(params.get("granularity") or "DAILY").upper()
    if params["granularity"] not in GRANULARITIES:
        raise InvalidAnalyticsQuery("granularity", f"must be one of {', '.join(GRANULARITIES)}")
    known = PRICING_DIMENSIONS if matched[1] == "pricing_analytics" else CONVERSATION_DIMENSIONS
    for dimension in params.get("dimensions") or ():
        if dimension.upper() not in known:
            raise InvalidAnalyticsQuery(
                "dimensions", f"{dimension!r} is not one of {', '.join(known)}"
            )
    return matched[1], params


def _bucket(
    ts: int, zone: ZoneInfo, granularity: str, cache: dict[Any, tuple[int, int]]
) -> tuple[int, int]:
    if granularity == "HALF_HOUR":
        local = datetime.fromtimestamp(ts, tz=UTC).astimezone(zone)
        offset = int((local.utcoffset() or timedelta(0)).total_seconds())
        start = ts - (ts + offset) % 1800
        return start, start + 1800
    key = (ts // 900, granularity)
    found = cache.get(key)
    if found is None:
        instant = datetime.fromtimestamp(ts, tz=UTC)
        period = (
            natural_day(instant, zone) if granularity == "DAILY" else natural_month(instant, zone)
        )
        found = cache[key] = (int(period.start.timestamp()), int(period.end.timestamp()))
    return found


def _meta_tier(row: dict[str, Any]) -> str | None:
    """R-AN-2: "0:MAX" for marketing; Meta's label for tiered keys; none for flat or free."""
    if row["status"] != "rated":
        return None
    if row["category"] in ("marketing", "marketing_lite"):
        return "0:MAX"
    tier = row["tier"]
    if tier is None or row["category"] not in _TIERED:
        return None
    first, _, last = tier.partition(":")
    return f"{0 if first == '1' else first}:{last}"


def _conversation_type(pricing_type: str) -> str:
    return {"free_tier": "FREE_TIER", "free_entry_point": "FREE_ENTRY_POINT"}.get(
        pricing_type, "REGULAR"
    )


def _point_fields(kind: str, row: dict[str, Any], phone: str) -> dict[str, Any]:
    if kind == "pricing_analytics":
        return {
            "country": row["country"],
            "phone_number": phone,
            "pricing_category": row["category"].upper(),
            "pricing_type": row["pricing_type"].upper(),
            "tier": _meta_tier(row),
        }
    direction = (
        "USER_INITIATED"
        if row["category"] in ("service", "user_initiated")
        else ("BUSINESS_INITIATED")
    )
    return {
        "country": row["country"],
        "phone_number": phone,
        "conversation_category": row["category"].upper(),
        "conversation_type": _conversation_type(row["pricing_type"]),
        "conversation_direction": direction,
    }


def _keep(kind: str, fields: dict[str, Any], params: dict[str, Any]) -> bool:
    filters = {"phone_numbers": "phone_number", "country_codes": "country"}
    if kind == "pricing_analytics":
        filters |= {"pricing_categories": "pricing_category", "pricing_types": "pricing_type"}
    else:
        filters |= {
            "conversation_categories": "conversation_category",
            "conversation_types": "conversation_type",
            "conversation_directions": "conversation_direction",
        }
    for param, name in filters.items():
        wanted = params.get(param)
        if wanted and fields[name] not in {
            w.upper() if name != "phone_number" else w for w in wanted
        }:
            return False
    return True


def query(runtime: Runtime, waba_id: str, fields: str, *, decimal_as_string: bool = False) -> Any:
    kind, params = parse_fields(fields)
    with runtime.uow(readonly=True) as uow:
        waba = require_waba(uow, waba_id)
        phones = {
            n["phone_number_id"]: n["display_phone_number"] or n["phone_number_id"]
            for n in uow.whatsapp.numbers(waba_id=waba_id)
        }
        rows = uow.whatsapp.charges(
            waba_id=waba_id,
            start_ts=params["start"],
            end_ts=params["end"],
            model="PMP" if kind == "pricing_analytics" else "CBP",
        )
    zone = ZoneInfo(waba["time_zone"])
    names = PRICING_DIMENSIONS if kind == "pricing_analytics" else CONVERSATION_DIMENSIONS
    dimensions = [names[d.upper()] for d in params.get("dimensions") or ()]
    metric = "volume" if kind == "pricing_analytics" else "conversation"
    sums: defaultdict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    cache: dict[Any, tuple[int, int]] = {}
    for row in rows:
        if row["status"] == "unrated":
            continue
        point = _point_fields(kind, row, phones.get(row["phone_number_id"], ""))
        if not _keep(kind, point, params):
            continue
        start, end = _bucket(int(row["ts"]), zone, params["granularity"], cache)
        key = (start, end, *(point[d] for d in dimensions))
        sums[key][0] += 1 if kind == "conversation_analytics" else int(row["quantity"])
        sums[key][1] += row["amount"] or Decimal(0)
    points = []
    for key, (count, cost) in sorted(sums.items(), key=lambda item: tuple(map(str, item[0]))):
        entry: dict[str, Any] = {"start": key[0], "end": key[1]}
        entry.update(
            (name, value)
            for name, value in zip(dimensions, key[2:], strict=True)
            if value is not None
        )
        entry[metric] = count
        entry["cost"] = str(cost.normalize()) if decimal_as_string else Decimal(cost)
        points.append(entry)
    return {kind: {"data": [{"data_points": points}]}, "id": waba_id}


def dumps(body: Any) -> bytes:
    """JSON with Decimals written as exact numbers (D-28), never through float."""

    def default(value: object) -> str:
        if isinstance(value, Decimal):
            text = format(value.normalize(), "f")
            return f"{_MARK}{text}"
        raise TypeError(type(value).__name__)

    text = json.dumps(body, default=default, separators=(",", ":"))
    return re.sub(r'"\\u0000dec:(-?[0-9.]+)"', r"\1", text).encode()


# ---- the event feed ---------------------------------------------------------------------------


def event_feed(
    runtime: Runtime, *, billing_account: str | None, kind: str | None, since: int, limit: int
) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        tenants = (
            [tenant_of(billing_account)]
            if billing_account
            else [a["tenant_id"] for a in uow.whatsapp.accounts()]
        )
        wanted = (
            None
            if kind is None
            else (kind if kind.startswith("whatsapp.") else f"whatsapp.alert.{kind}")
        )
        rows = uow.events.feed(
            tenant_ids=tenants, kind=wanted, after_id=since, limit=max(1, min(limit, 1000))
        )
        listed = []
        for event in rows:
            item = {
                "id": event.id,
                "billing_account": event.tenant_id.removeprefix("whatsapp:"),
                "type": event.kind.removeprefix("whatsapp.alert.").removeprefix("whatsapp."),
                "kind": event.kind,
                "occurred_at": event.occurred_at.isoformat(),
                "payload": event.payload,
                "delivery_status": event.delivery_status,
            }
            if event.target_url:
                item["target_url"] = event.target_url
                item["attempts"] = [
                    {
                        "attempt": a["attempt"],
                        "attempted_at": a["attempted_at"].isoformat(),
                        "http_status": a["http_status"],
                        "ok": a["ok"],
                        "error": a["error"],
                    }
                    for a in uow.events.attempts(event.id)
                ]
            listed.append(item)
    return {"events": listed, "next": rows[-1].id if rows else since}


def local_start(day: datetime, zone: ZoneInfo) -> datetime:
    return local_midnight(day.date(), zone)
