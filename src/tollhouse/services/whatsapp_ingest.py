"""Ingestion and rating: Meta webhooks, NDJSON imports and historical status files.

One command = one transaction: the raw body, its status/inbound/other rows (each deduplicated
on its D-2 key by a unique index), the charges it confirms (unique per WABA and charge key) and
the alerts they trigger are stored together or not at all (R-IN-2, "never half-stored").
Rating runs in-process on the preloaded rate book (``Catalogue``) in the same transaction, so
the same webhook delivered ten times, even concurrently, is charged once: writers of one
billing account are serialised (SQLite BEGIN IMMEDIATE; ``lock_tenant`` on PostgreSQL), and
the unique key of ``wa_charges`` is the final guard.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

from tollhouse.adapters.phone_regions import region_of
from tollhouse.domain.periods import from_unix, local_midnight, month_label
from tollhouse.domain.whatsapp.errors import BadSignature, InvalidWebhook, UnknownWaba
from tollhouse.domain.whatsapp.markets import MarketResolver, MarketTable, parse_market_table
from tollhouse.domain.whatsapp.ratecards import RateBook, RateCard, parse_rate_card
from tollhouse.domain.whatsapp.rating import (
    Charge,
    ChargeFacts,
    ChargeStatus,
    Rater,
    TierReport,
    Waba,
    facts_from_statuses,
    rate_batch,
)
from tollhouse.domain.whatsapp.vocabulary import TIER_GROUP, PricingModel, PricingType
from tollhouse.domain.whatsapp.webhooks import (
    InboundMessage,
    StatusEvent,
    StatusKind,
    parse_change,
    parse_webhook,
)
from tollhouse.services import events
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.whatsapp import tenant_of

log = logging.getLogger("tollhouse.whatsapp")

SHIPPED_RATE_CARDS: Final = ("usd-cbp-2024-10-01", "usd-pmp-2026-01-01", "eur-pmp-2026-07-01")
GRACE_DAYS: Final = 7  # D-5 statement.grace_days
CLOSE_TASK: Final = "whatsapp.close_statement"
_CONFIRMING: Final = (StatusKind.DELIVERED, StatusKind.READ)
NO_PRICING: Final = ("the status has no pricing object, so the webhook path cannot rate it "
                     "(R-IN-5); the inference path does not run on ingest")


def shipped_text(name: str) -> str:
    return (resources.files("tollhouse") / "data" / f"whatsapp-{name}.csv").read_text("utf-8")


# ---- the rating context ------------------------------------------------------------------


@dataclass(eq=False)
class Catalogue:
    """Market table, rate book and resolver built from the stored card versions."""

    versions: tuple[str, ...]
    markets: MarketTable
    book: RateBook
    resolver: MarketResolver
    shipped_versions: frozenset[str]


def build_catalogue(cards: list[dict[str, Any]]) -> Catalogue:
    markets_rows = [c for c in cards if c["kind"] == "markets"]
    table = parse_market_table(markets_rows[-1]["content"] if markets_rows
                               else shipped_text("markets"))
    shipped = [parse_rate_card(shipped_text(n), markets=table.markets) for n in SHIPPED_RATE_CARDS]
    imported = [parse_rate_card(c["content"], markets=table.markets)
                for c in cards if c["kind"] == "rates"]
    return Catalogue(tuple(c["version"] for c in cards), table,
                     RateBook(tuple(shipped + imported)),
                     MarketResolver(table, region_of=region_of),
                     frozenset(card.version for card in shipped))


def catalogue(runtime: Runtime, uow: UnitOfWork) -> Catalogue:
    """The cached catalogue, rebuilt when the stored card versions change (one small query)."""
    versions = uow.whatsapp.card_versions()
    cached: Catalogue | None = runtime.extras.get("whatsapp_catalogue")
    if cached is None or cached.versions != versions:
        cached = build_catalogue(uow.whatsapp.cards())
        runtime.extras["whatsapp_catalogue"] = cached
    return cached


def extra_cards(card: RateCard) -> RateCard:  # pragma: no cover - typing helper
    return card


# ---- signatures and rejections -----------------------------------------------------------


def verify_signature(runtime: Runtime, raw: bytes, header: str | None) -> str:
    """The app whose secret signed ``raw`` (X-Hub-Signature-256), or ``BadSignature``."""
    if not header or not header.startswith("sha256="):
        raise BadSignature("the X-Hub-Signature-256 header is missing or not sha256=<hex>")
    given = header.removeprefix("sha256=").strip().lower()
    for reload in (False, True):
        for app_id, secret, _ in _apps(runtime, reload=reload):
            expected = hmac.new(secret, raw, hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, given):
                return app_id
    raise BadSignature("the signature matches no configured app secret")


def _apps(runtime: Runtime, *, reload: bool) -> list[tuple[str, bytes, str]]:
    from tollhouse.services.whatsapp import app_secrets  # noqa: PLC0415

    return app_secrets(runtime, reload=reload)


def reject(runtime: Runtime, raw: bytes, error: Exception, code: str) -> None:
    """Log a refused body (never its content) in its own transaction."""
    sha = hashlib.sha256(raw).hexdigest()
    log.warning("whatsapp webhook rejected: %s (%s, sha256 %s, %d bytes)", code, error, sha,
                len(raw))
    with runtime.uow() as uow:
        uow.whatsapp.add_rejection({"at": runtime.system_clock.now(), "code": code,
                                    "message": str(error)[:2000], "sha256": sha,
                                    "size": len(raw)})
        uow.commit()


# ---- the batch -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """A §4.10 ``meta_tokens`` record (D-22)."""

    waba_id: str
    phone_number_id: str
    recipient: str
    wamid: str
    ts: int
    tokens: int


@dataclass(eq=False)
class Batch:
    raw: str
    source: str
    app_id: str | None = None
    statuses: list[StatusEvent] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    other: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # waba, field, value
    tokens: list[TokenUsage] = field(default_factory=list)
    dedupe_body: bool = True

    def add_body(self, body: dict[str, Any]) -> None:
        """Parse one Meta body into this batch; raises ``InvalidWebhook`` before any write."""
        for event in parse_webhook(body):
            if isinstance(event, StatusEvent):
                self.statuses.append(event)
            elif isinstance(event, InboundMessage):
                self.inbound.append(event)
        for entry in body.get("entry") or ():
            for change in entry.get("changes") or ():
                if change.get("field") != "messages":
                    self.other.append((str(entry.get("id", "")), str(change.get("field", "")),
                                       dict(change.get("value") or {})))

    @property
    def waba_ids(self) -> set[str]:
        ids = {s.waba_id for s in self.statuses} | {m.waba_id for m in self.inbound}
        return ids | {o[0] for o in self.other} | {t.waba_id for t in self.tokens}

    @property
    def size(self) -> int:
        return len(self.statuses) + len(self.inbound) + len(self.other) + len(self.tokens)


@dataclass(frozen=True, slots=True)
class WabaContext:
    waba: Waba
    account: str
    row: dict[str, Any]


def ingest_webhook(runtime: Runtime, raw: bytes, signature: str | None) -> dict[str, Any]:
    """POST /v1/whatsapp/webhooks: verify, parse, store, deduplicate, rate — or refuse whole."""
    try:
        app_id = verify_signature(runtime, raw, signature)
    except BadSignature as error:
        reject(runtime, raw, error, error.code)
        raise
    try:
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise InvalidWebhook("the body is not a JSON object")  # noqa: TRY301
        batch = Batch(raw.decode("utf-8"), "webhook", app_id)
        batch.add_body(body)
    except (ValueError, InvalidWebhook) as error:
        wrapped = error if isinstance(error, InvalidWebhook) else InvalidWebhook(
            f"the body is not valid JSON ({error})")
        reject(runtime, raw, wrapped, InvalidWebhook.code)
        raise wrapped from None
    try:
        return store(runtime, batch)
    except UnknownWaba as error:
        reject(runtime, raw, error, error.code)
        raise


def store(runtime: Runtime, batch: Batch, *, rate: bool = True) -> dict[str, Any]:
    """Store a parsed batch and rate what it confirms, in one transaction."""
    with runtime.uow() as uow:
        contexts = waba_contexts(uow, batch.waba_ids)
        accounts = sorted({c.account for c in contexts.values()})
        for account in accounts:
            uow.lock_tenant(tenant_of(account))
        sha = hashlib.sha256(batch.raw.encode()).hexdigest()
        body_id = uow.whatsapp.add_body({
            "sha256": sha, "received_at": runtime.system_clock.now(), "source": batch.source,
            "app_id": batch.app_id, "items": batch.size, "body": batch.raw})
        if body_id is None:
            if batch.dedupe_body:
                return {"body": "duplicate", "statuses": len(batch.statuses), "stored": 0,
                        "duplicates": batch.size, "charges": 0, "unrated": 0}
            body_id = 0
        stored = _store_rows(uow, batch, contexts, body_id)
        summary: dict[str, Any] = {"body": body_id, "statuses": len(batch.statuses),
                                   "stored": stored, "duplicates": batch.size - stored,
                                   "charges": 0, "unrated": 0}
        if rate:
            nows = {a: tenant_now(runtime, uow, tenant_of(a)) for a in accounts}
            rows = rate_batch_rows(runtime, uow, batch, contexts, nows)
            summary["charges"] = uow.whatsapp.insert_charges(rows)
            summary["unrated"] = sum(1 for r in rows if r["status"] == "unrated")
            _after_charges(runtime, uow, rows, contexts, nows, body_id)
        for account in accounts:
            uow.tenants.mark_activity(tenant_of(account))
        uow.commit()
    return summary


def waba_contexts(uow: UnitOfWork, waba_ids: set[str]) -> dict[str, WabaContext]:
    rows = uow.whatsapp.wabas(waba_ids) if waba_ids else []
    found = {r["waba_id"]: r for r in rows}
    for waba_id in sorted(waba_ids):
        if waba_id not in found:
            raise UnknownWaba(waba_id)
    return {
        waba_id: WabaContext(Waba(waba_id, r["currency"], ZoneInfo(r["time_zone"]),
                                  r["portfolio_id"] or waba_id), r["billing_account"], r)
        for waba_id, r in found.items()
    }


def _store_rows(uow: UnitOfWork, batch: Batch, contexts: dict[str, WabaContext],
                body_id: int) -> int:
    status_rows = [
        {"body_id": body_id, "billing_account": contexts[s.waba_id].account,
         "waba_id": s.waba_id, "phone_number_id": s.phone_number_id, "wamid": s.wamid,
         "status": s.status.value, "ts": s.ts, "recipient": s.recipient,
         "pricing_model": s.pricing.model.value if s.pricing and s.pricing.model else None,
         "pricing_type": s.pricing.type.value if s.pricing and s.pricing.type else None,
         "category": s.pricing.raw_category if s.pricing else None,
         "conversation_id": s.conversation_id,
         "error_code": s.error_codes[0] if s.error_codes else None}
        for s in batch.statuses]
    inbound_rows = [
        {"body_id": body_id, "billing_account": contexts[m.waba_id].account,
         "waba_id": m.waba_id, "phone_number_id": m.phone_number_id, "wamid": m.wamid,
         "sender": m.sender, "ts": m.ts, "type": m.type, "referral": m.referral_source}
        for m in batch.inbound]
    other_rows = [
        {"dedupe": hashlib.sha256(json.dumps([waba, name, value], sort_keys=True)
                                  .encode()).hexdigest(),
         "body_id": body_id, "billing_account": contexts[waba].account, "waba_id": waba,
         "field": name, "ts": _other_ts(value), "payload": value}
        for waba, name, value in batch.other]
    return (uow.whatsapp.insert_statuses(status_rows) + uow.whatsapp.insert_inbound(inbound_rows)
            + uow.whatsapp.insert_other(other_rows) + len(batch.tokens))


def _other_ts(value: dict[str, Any]) -> int | None:
    info = value.get("volume_tier_info") or {}
    stamp = info.get("tier_update_time") or value.get("category_update_timestamp")
    try:
        return int(stamp) if stamp is not None else None
    except (TypeError, ValueError):
        return None


# ---- rating --------------------------------------------------------------------------------


def rate_batch_rows(runtime: Runtime, uow: UnitOfWork, batch: Batch,
                    contexts: dict[str, WabaContext],
                    nows: dict[str, datetime]) -> list[dict[str, Any]]:
    cat = catalogue(runtime, uow)
    items, unpriced = _facts(uow, batch.statuses, contexts)
    existing = uow.whatsapp.existing_charge_keys(
        [(w.waba_id, f.key) for f, w in items]
        + [(c.waba_id, key) for c, key in unpriced]
        + [(t.waba_id, t.wamid) for t in batch.tokens])
    rater = Rater(cat.book, cat.resolver, seed=_seed(uow))
    _tier_reports(uow, rater, cat, contexts)
    fresh = [(f, w) for f, w in items if (w.waba_id, f.key) not in existing]
    charges = rate_batch(rater, fresh)
    for usage in batch.tokens:
        if (usage.waba_id, usage.wamid) not in existing:
            charges.append(rater.rate_tokens(
                key=usage.wamid, waba=contexts[usage.waba_id].waba,
                phone_number_id=usage.phone_number_id, recipient=usage.recipient,
                ts=usage.ts, tokens=usage.tokens))
    rows = [_row(c, contexts, nows) for c in charges]
    seen = {(r["waba_id"], r["charge_key"]) for r in rows}
    for status, key in unpriced:
        if (status.waba_id, key) not in existing and (status.waba_id, key) not in seen:
            seen.add((status.waba_id, key))
            rows.append(_unpriced_row(rater, status, contexts, nows))
    return rows


def _facts(uow: UnitOfWork, statuses: list[StatusEvent], contexts: dict[str, WabaContext],
           ) -> tuple[list[tuple[ChargeFacts, Waba]], list[tuple[StatusEvent, str]]]:
    """Group statuses per wamid (D-3); the rare status without pricing looks up ``sent``."""
    groups: defaultdict[tuple[str, str, str], list[StatusEvent]] = defaultdict(list)
    for status in statuses:
        groups[status.waba_id, status.phone_number_id, status.wamid].append(status)
    items: list[tuple[ChargeFacts, Waba]] = []
    missing: list[tuple[str, str, str]] = []
    for key, group in groups.items():
        if not any(s.status in _CONFIRMING for s in group):
            continue
        facts = facts_from_statuses(group)
        if facts is None:
            missing.append(key)
        else:
            items.append((facts, contexts[key[0]].waba))
    unpriced: list[tuple[StatusEvent, str]] = []
    if missing:
        stored = uow.whatsapp.statuses_of([(k[1], k[2]) for k in missing])
        for key in missing:
            earlier = [_status_of(r, key[0]) for r in stored
                       if (r["phone_number_id"], r["wamid"]) == (key[1], key[2])]
            group = groups[key] + earlier
            facts = facts_from_statuses(group)
            if facts is not None:
                items.append((facts, contexts[key[0]].waba))
            else:
                confirming = next(s for s in groups[key] if s.status in _CONFIRMING)
                unpriced.append((confirming, confirming.wamid))
    return items, unpriced


def _status_of(row: dict[str, Any], waba_id: str) -> StatusEvent:
    from tollhouse.domain.whatsapp.webhooks import parse_pricing  # noqa: PLC0415

    pricing = None
    if row["pricing_model"] or row["category"]:
        pricing = parse_pricing({"pricing_model": row["pricing_model"],
                                 "type": row["pricing_type"], "category": row["category"]})
    return StatusEvent(waba_id, row["phone_number_id"], row["wamid"],
                       StatusKind(row["status"]), int(row["ts"]), row["recipient"],
                       row["conversation_id"], None, None, pricing)


def _seed(uow: UnitOfWork) -> Any:
    def seed(kind: str, key: tuple[str, ...]) -> int:
        if kind == "cbp_free":
            waba_id, month = key
            return uow.whatsapp.count_charges(wabas=[waba_id], month=month,
                                              pricing_type=PricingType.FREE_TIER.value)
        portfolio, market, group, month = key
        wabas = [r["waba_id"] for r in uow.whatsapp.wabas()
                 if (r["portfolio_id"] or r["waba_id"]) == portfolio]
        categories = [c.value for c, g in TIER_GROUP.items() if g == group]
        return uow.whatsapp.count_charges(wabas=wabas, month=month, categories=categories,
                                          market=market, status="rated")

    return seed


def _tier_reports(uow: UnitOfWork, rater: Rater, cat: Catalogue,
                  contexts: dict[str, WabaContext]) -> None:
    """D-14: Meta's reported volume tiers apply from their update time for the month."""
    markets = {m.lower(): m for m in cat.markets.markets}
    for account in {c.account for c in contexts.values()}:
        for row in uow.whatsapp.other_events(account=account, field="account_update"):
            context = contexts.get(row["waba_id"])
            if context is None:
                continue
            for event in parse_change(row["waba_id"], {"field": "account_update",
                                                       "value": row["payload"]}):
                _apply_tier(rater, context, event, markets)


def _apply_tier(rater: Rater, context: WabaContext, event: Any, markets: dict[str, str]) -> None:
    from tollhouse.domain.whatsapp.webhooks import VolumeTierUpdate  # noqa: PLC0415

    if not isinstance(event, VolumeTierUpdate):
        return
    market = markets.get(event.region.lower())
    if market is None:
        return
    zone = context.waba.zone
    month = event.effective_month or month_label(from_unix(event.tier_update_time), zone)
    year, number = (int(p) for p in month.split("-"))
    start = local_midnight(datetime(year, number, 1, tzinfo=UTC).date(), zone)
    inside = month_label(from_unix(event.tier_update_time), zone) == month
    from_ts = event.tier_update_time if inside else int(start.timestamp())
    group = "authentication" if event.pricing_category.startswith("auth") else "utility"
    rater.report_tier(portfolio_id=context.waba.portfolio_id, market=market, group=group,
                      month=month, report=TierReport(from_ts, event.lower))


def _unpriced_row(rater: Rater, status: StatusEvent, contexts: dict[str, WabaContext],
                  nows: dict[str, datetime]) -> dict[str, Any]:
    context = contexts[status.waba_id]
    day, month, _ = rater.local_day(status.ts, context.waba.zone)
    match = rater.markets.resolve(status.recipient, day)
    charge = Charge(status.wamid, status.waba_id, status.phone_number_id, status.ts, month,
                    PricingModel.PMP, match.country, match.market, "", PricingType.REGULAR,
                    ChargeStatus.UNRATED, context.waba.currency, None, None, reason=NO_PRICING)
    return _row(charge, contexts, nows)


_FINAL_CACHE: dict[tuple[str, str, int], bool] = {}


def month_is_final(month: str, zone: ZoneInfo, now: datetime) -> bool:
    """D-5: a month is final ``GRACE_DAYS`` after its last instant (local)."""
    year, number = (int(p) for p in month.split("-"))
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC).date()
    return now >= local_midnight(following, zone) + timedelta(days=GRACE_DAYS)


def _row(charge: Charge, contexts: dict[str, WabaContext],
         nows: dict[str, datetime]) -> dict[str, Any]:
    context = contexts[charge.waba_id]
    now = nows[context.account]
    billed = charge.month
    key = (charge.month, context.waba.zone.key, int(now.timestamp()) // 3600)
    final = _FINAL_CACHE.get(key)
    if final is None:
        final = _FINAL_CACHE[key] = month_is_final(charge.month, context.waba.zone, now)
        if len(_FINAL_CACHE) > 10_000:  # noqa: PLR2004 - a bounded memo
            _FINAL_CACHE.clear()
    if final:
        billed = month_label(now, context.waba.zone)  # D-5: an adjustment on the open month
    return {
        "billing_account": context.account, "waba_id": charge.waba_id,
        "charge_key": charge.key, "phone_number_id": charge.phone_number_id, "ts": charge.ts,
        "month": charge.month, "billed_month": billed, "model": charge.model.value,
        "country": charge.country, "market": charge.market, "category": charge.category,
        "pricing_type": charge.pricing_type.value, "status": charge.status.value,
        "currency": charge.currency, "quantity": charge.quantity,
        "unit_rate": charge.unit_rate, "amount": charge.amount, "tier": charge.tier,
        "card_version": charge.card_version, "reason": charge.reason or None,
    }


def _after_charges(runtime: Runtime, uow: UnitOfWork, rows: list[dict[str, Any]],
                   contexts: dict[str, WabaContext], nows: dict[str, datetime],
                   body_id: int) -> None:
    from tollhouse.services import whatsapp_billing as billing  # noqa: PLC0415

    by_account: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_account[row["billing_account"]].append(row)
    for account, listed in by_account.items():
        now = nows[account]
        unrated = [r for r in listed if r["status"] == "unrated"]
        if unrated:
            reasons = sorted({r["reason"] or "" for r in unrated})[:5]
            billing.fire_alert(uow, account=account, kind="unrated_charge",
                               dedupe=f"unrated:{account}:{body_id}:{len(unrated)}", at=now,
                               payload={"count": len(unrated), "reasons": reasons})
        months = {r["billed_month"] for r in listed}
        billing.schedule_close(runtime, uow, account, months)
        billing.check_budgets(runtime, uow, account, months, now)
        billing.check_wallet(runtime, uow, account, now)
    for account in {c.account for c in contexts.values()}:
        events.publish(uow, tenant_id=tenant_of(account), kind="whatsapp.webhook",
                       at=nows[account],
                       payload={"body_id": body_id,
                                "charges": len(by_account.get(account, ())),
                                "unrated": sum(1 for r in by_account.get(account, ())
                                               if r["status"] == "unrated")})


# ---- imports -------------------------------------------------------------------------------


ACTIVITY_TYPES: Final = frozenset({"number_onboarded", "number_removed", "template_submitted",
                                   "addon_on", "addon_off", "addon_use", "wallet_topup"})


def import_records(runtime: Runtime, lines: list[str], *, first_line: int = 1,
                   ) -> dict[str, Any]:
    """POST /v1/whatsapp/imports: each line stands alone; valid lines are kept (§8)."""
    from tollhouse.services import whatsapp_imports  # noqa: PLC0415

    return whatsapp_imports.import_lines(runtime, lines, first_line=first_line)
