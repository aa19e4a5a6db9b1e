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
from decimal import Decimal
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

from tollhouse.adapters.phone_regions import region_of
from tollhouse.domain.errors import PrecisionLoss
from tollhouse.domain.periods import from_unix, local_midnight, month_label
from tollhouse.domain.whatsapp.errors import BadSignature, InvalidWebhook, UnknownWaba
from tollhouse.domain.whatsapp.markets import MarketResolver, MarketTable, parse_market_table
from tollhouse.domain.whatsapp.ratecards import RateBook, RateCard, parse_rate_card
from tollhouse.domain.whatsapp.rating import (
    Charge,
    ChargeFacts,
    ChargeStatus,
    PriceIndex,
    Rater,
    TierReport,
    Waba,
    confirming_status,
    pricing_of,
    rate_batch,
)
from tollhouse.domain.whatsapp.vocabulary import TIER_GROUP, PricingModel, PricingType
from tollhouse.domain.whatsapp.webhooks import (
    InboundMessage,
    Pricing,
    StatusEvent,
    StatusKind,
    parse_change,
    parse_webhook,
)
from tollhouse.services import events
from tollhouse.services import whatsapp_inference as inference
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.whatsapp import tenant_of

log = logging.getLogger("tollhouse.whatsapp")

SHIPPED_RATE_CARDS: Final = ("usd-cbp-2024-10-01", "usd-pmp-2026-01-01", "eur-pmp-2026-07-01")
GRACE_DAYS: Final = 7  # D-5 statement.grace_days
CLOSE_TASK: Final = "whatsapp.close_statement"
_CONFIRMING: Final = (StatusKind.DELIVERED, StatusKind.READ)
_DELIVERED, _READ = StatusKind.DELIVERED, StatusKind.READ
_CBP, _REGULAR_TYPE = PricingModel.CBP, PricingType.REGULAR
_new_facts: Final = tuple.__new__
NO_PRICING: Final = "the status has no pricing object, so the webhook path cannot rate it (R-IN-5)"


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
    index: PriceIndex  # the hot path's precomputed prices, shared by every batch


def build_catalogue(cards: list[dict[str, Any]]) -> Catalogue:
    markets_rows = [c for c in cards if c["kind"] == "markets"]
    table = parse_market_table(
        markets_rows[-1]["content"] if markets_rows else shipped_text("markets")
    )
    shipped = [parse_rate_card(shipped_text(n), markets=table.markets) for n in SHIPPED_RATE_CARDS]
    imported = [
        parse_rate_card(c["content"], markets=table.markets) for c in cards if c["kind"] == "rates"
    ]
    book = RateBook(tuple(shipped + imported))
    resolver = MarketResolver(table, region_of=region_of)
    return Catalogue(
        tuple(c["version"] for c in cards),
        table,
        book,
        resolver,
        frozenset(card.version for card in shipped),
        PriceIndex(book, resolver),
    )


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
    log.warning(
        "whatsapp webhook rejected: %s (%s, sha256 %s, %d bytes)", code, error, sha, len(raw)
    )
    with runtime.uow() as uow:
        uow.whatsapp.add_rejection(
            {
                "at": runtime.system_clock.now(),
                "code": code,
                "message": str(error)[:2000],
                "sha256": sha,
                "size": len(raw),
            }
        )
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
    sha256: str | None = None  # of the raw bytes, when the caller has them

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
                    self.other.append(
                        (
                            str(entry.get("id", "")),
                            str(change.get("field", "")),
                            dict(change.get("value") or {}),
                        )
                    )

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
        batch = Batch(
            raw.decode("utf-8"), "webhook", app_id, sha256=hashlib.sha256(raw).hexdigest()
        )
        batch.add_body(body)
    except (ValueError, InvalidWebhook) as error:
        wrapped = (
            error
            if isinstance(error, InvalidWebhook)
            else InvalidWebhook(f"the body is not valid JSON ({error})")
        )
        reject(runtime, raw, wrapped, InvalidWebhook.code)
        raise wrapped from None
    try:
        return store(runtime, batch)
    except UnknownWaba as error:
        reject(runtime, raw, error, error.code)
        raise


def store(runtime: Runtime, batch: Batch, *, rate: bool = True) -> dict[str, Any]:
    """Store a parsed batch and rate what it confirms, in one transaction.

    Per batch, not per status: one body row, one bulk insert per table (the unique keys of
    D-2 deduplicate), one ledger insert, one query for the charge keys the slow path needs,
    and the bookkeeping (close tasks, budgets, wallet, feed event) once per account.
    """
    with runtime.uow() as uow:
        contexts = waba_contexts(uow, batch.waba_ids)
        accounts = sorted({c.account for c in contexts.values()})
        for account in accounts:
            uow.lock_tenant(tenant_of(account))
        sha = batch.sha256 or hashlib.sha256(batch.raw.encode()).hexdigest()
        body_id = uow.whatsapp.add_body(
            {
                "sha256": sha,
                "received_at": runtime.system_clock.now(),
                "source": batch.source,
                "app_id": batch.app_id,
                "items": batch.size,
                "body": batch.raw,
            }
        )
        if body_id is None:
            if batch.dedupe_body:
                return {
                    "body": "duplicate",
                    "statuses": len(batch.statuses),
                    "stored": 0,
                    "duplicates": batch.size,
                    "charges": 0,
                    "unrated": 0,
                }
            body_id = 0
        stored = _store_rows(uow, batch, contexts, body_id)
        summary: dict[str, Any] = {
            "body": body_id,
            "statuses": len(batch.statuses),
            "stored": stored,
            "duplicates": batch.size - stored,
            "charges": 0,
            "unrated": 0,
        }
        if rate:
            nows = {a: tenant_now(runtime, uow, tenant_of(a)) for a in accounts}
            rows = rate_batch_rows(runtime, uow, batch, contexts, nows)
            summary["charges"] = uow.whatsapp.insert_charge_rows(rows)
            summary["unrated"] = sum(1 for r in rows if r[_STATUS] == "unrated")
            _after_charges(runtime, uow, rows, contexts, nows, body_id=body_id)
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
        waba_id: WabaContext(
            Waba(waba_id, r["currency"], ZoneInfo(r["time_zone"]), r["portfolio_id"] or waba_id),
            r["billing_account"],
            r,
        )
        for waba_id, r in found.items()
    }


def _store_rows(
    uow: UnitOfWork, batch: Batch, contexts: dict[str, WabaContext], body_id: int
) -> int:
    account_of = {waba_id: c.account for waba_id, c in contexts.items()}
    status_rows: list[tuple[Any, ...]] = []
    append = status_rows.append
    for s in batch.statuses:
        waba_id, number, wamid, kind, ts, recipient, conversation, _, _, price, errors = s
        if price is None:
            append(
                (
                    body_id,
                    account_of[waba_id],
                    waba_id,
                    number,
                    wamid,
                    kind,
                    ts,
                    recipient,
                    None,
                    None,
                    None,
                    conversation,
                    errors[0] if errors else None,
                )
            )
        else:
            append(
                (
                    body_id,
                    account_of[waba_id],
                    waba_id,
                    number,
                    wamid,
                    kind,
                    ts,
                    recipient,
                    price.model,
                    price.type,
                    price.raw_category,
                    conversation,
                    errors[0] if errors else None,
                )
            )
    inbound_rows = [
        {
            "body_id": body_id,
            "billing_account": contexts[m.waba_id].account,
            "waba_id": m.waba_id,
            "phone_number_id": m.phone_number_id,
            "wamid": m.wamid,
            "sender": m.sender,
            "ts": m.ts,
            "type": m.type,
            "referral": m.referral_source,
        }
        for m in batch.inbound
    ]
    other_rows = [
        {
            "dedupe": hashlib.sha256(
                json.dumps([waba, name, value], sort_keys=True).encode()
            ).hexdigest(),
            "body_id": body_id,
            "billing_account": contexts[waba].account,
            "waba_id": waba,
            "field": name,
            "ts": _other_ts(value),
            "payload": value,
        }
        for waba, name, value in batch.other
    ]
    return int(
        uow.whatsapp.insert_status_rows(status_rows)
        + uow.whatsapp.insert_inbound(inbound_rows)
        + uow.whatsapp.insert_other(other_rows)
        + len(batch.tokens)
    )


def _other_ts(value: dict[str, Any]) -> int | None:
    info = value.get("volume_tier_info") or {}
    stamp = info.get("tier_update_time") or value.get("category_update_timestamp")
    try:
        return int(stamp) if stamp is not None else None
    except (TypeError, ValueError):
        return None


# ---- rating --------------------------------------------------------------------------------


LedgerRow = tuple[Any, ...]  # in CHARGE_COLUMNS order (adapters/db/repositories/whatsapp.py)
_ACCOUNT, _BILLED, _STATUS, _REASON = 0, 6, 12, 19


def rate_batch_rows(
    runtime: Runtime,
    uow: UnitOfWork,
    batch: Batch,
    contexts: dict[str, WabaContext],
    nows: dict[str, datetime],
) -> list[LedgerRow]:
    """Rate what the batch confirms; ledger rows ready for ``insert_charge_rows``.

    Fast-path charges (no counter) are not checked against the ledger first: the ledger's
    unique key (WABA, charge key) drops a charge stored before, so the first one wins (D-2,
    D-3). Items that move counters (free tiers, volume tiers), CBP items and tokens are
    checked, so that a key charged before never advances a counter twice.
    """
    cat = catalogue(runtime, uow)
    groups, unpriced = _facts(uow, batch.statuses, contexts)
    rater = Rater(cat.book, cat.resolver, seed=_seed(uow), index=cat.index)
    charges: list[Charge] = []
    rest: list[tuple[ChargeFacts, Waba]] = []
    for waba, facts in groups.values():
        charges.extend(rater.rate_fast(waba, facts, rest))
    inferred: dict[tuple[str, str], str] = {}
    left = _infer_unpriced(uow, unpriced, contexts, rest, inferred) if unpriced else []
    slow_keys = (
        [(w.waba_id, f.key) for f, w in rest]
        + [(c.waba_id, key) for c, key, _ in left]
        + [(t.waba_id, t.wamid) for t in batch.tokens]
    )
    existing = uow.whatsapp.existing_charge_keys(slow_keys) if slow_keys else set()
    if rest:
        _tier_reports(uow, rater, cat, contexts)
        fresh = [(f, w) for f, w in rest if (w.waba_id, f.key) not in existing]
        charges.extend(rate_batch(rater, fresh))
    charges.extend(
        rater.rate_tokens(
            key=usage.wamid,
            waba=contexts[usage.waba_id].waba,
            phone_number_id=usage.phone_number_id,
            recipient=usage.recipient,
            ts=usage.ts,
            tokens=usage.tokens,
        )
        for usage in batch.tokens
        if (usage.waba_id, usage.wamid) not in existing
    )
    if inferred:
        charges = [_mark_inferred(c, inferred) for c in charges]
    rows = _ledger_rows(charges, contexts, nows)
    seen = {(r[1], r[2]) for r in rows}
    for status, key, reason in left:
        if (status.waba_id, key) not in existing and (status.waba_id, key) not in seen:
            seen.add((status.waba_id, key))
            rows.append(_unpriced_row(rater, status, contexts, nows, reason))
    _cross_check(runtime, uow, batch.statuses, contexts, nows)
    return rows


Unpriced = tuple[StatusEvent, str, tuple[str, str] | None]  # status, key, category hint


def _infer_unpriced(
    uow: UnitOfWork,
    unpriced: list[Unpriced],
    contexts: dict[str, WabaContext],
    rest: list[tuple[ChargeFacts, Waba]],
    inferred: dict[tuple[str, str], str],
) -> list[tuple[StatusEvent, str, str]]:
    """R-IN-5: classify statuses without pricing by the timeline rules; what has a template
    category becomes a slow-path item (``rest``), the rest stays unrated with a reason."""
    still: list[tuple[StatusEvent, str, str]] = []
    wanted = []
    sources: dict[tuple[str, str], str] = {}
    for status, key, hint in unpriced:
        if hint is None:
            still.append((status, key, inference.NO_CATEGORY))
            continue
        category, source = hint
        wanted.append((status, inference.template_of(category)[1]))
        sources[status.waba_id, status.wamid] = source
    wabas = {waba_id: c.waba for waba_id, c in contexts.items()}
    for item in inference.infer(uow, wabas, wanted):
        status, result = item.status, item.classified
        if result.failed_error is not None:
            still.append(
                (
                    status,
                    status.wamid,
                    (
                        f"inference (R-IN-5) says this message could not be delivered (error "
                        f"{result.failed_error}: a non-template message outside any stored "
                        f"customer service window), yet it was; the thread is incomplete"
                    ),
                )
            )
        elif item.facts is not None:  # None: inside an open conversation, no charge item
            rest.append((item.facts, wabas[status.waba_id]))
            inferred[status.waba_id, item.facts.key] = inference.INFERRED.format(
                source=sources[status.waba_id, status.wamid]
            )
    return still


def _mark_inferred(charge: Charge, inferred: dict[tuple[str, str], str]) -> Charge:
    found = inferred.get((charge.waba_id, charge.key))
    if found is None:
        return charge
    return charge._replace(reason=f"{found}; {charge.reason}" if charge.reason else found)


def _cross_check(
    runtime: Runtime,
    uow: UnitOfWork,
    statuses: list[StatusEvent],
    contexts: dict[str, WabaContext],
    nows: dict[str, datetime],
) -> None:
    """R-IN-5: a sample of webhook-priced confirming statuses against the inference path;
    a disagreement is a ``rating_mismatch`` feed event, the webhook's rating stays."""
    wanted: dict[tuple[str, str], tuple[StatusEvent, Any]] = {}
    threads: set[tuple[str, str]] = set()
    for status in statuses:
        kind, pricing = status[3], status[9]
        if (
            (kind is not _DELIVERED and kind is not _READ)
            or pricing is None
            or pricing.model is None
            or not inference.sampled(runtime, status[2])
        ):
            continue
        known, template = inference.template_of(pricing.raw_category)
        if not known or (status[1], status[2]) in wanted:
            continue
        thread = (status[1], status[5])
        if thread not in threads and len(threads) >= inference.CROSS_CHECK_MAX_THREADS:
            continue
        threads.add(thread)
        wanted[status[1], status[2]] = (status, template)
    if not wanted:
        return
    wabas = {waba_id: c.waba for waba_id, c in contexts.items()}
    for item in inference.infer(uow, wabas, list(wanted.values())):
        status = item.status
        found = inference.mismatch(item, status.pricing) if status.pricing else None
        if found is None:
            continue
        account = contexts[status.waba_id].account
        events.publish(
            uow,
            tenant_id=tenant_of(account),
            kind="whatsapp.alert.rating_mismatch",
            at=nows[account],
            payload=inference.mismatch_payload(status, account, found, status.at),
            dedupe_key=f"rating_mismatch:{status.waba_id}:{status.wamid}",
        )


def _facts(
    uow: UnitOfWork,
    statuses: list[StatusEvent],
    contexts: dict[str, WabaContext],
) -> tuple[
    dict[str, tuple[Waba, list[ChargeFacts]]], list[tuple[StatusEvent, str, tuple[str, str] | None]]
]:
    """D-3 per (number, wamid) in one pass: the confirming status, and its pricing, or the
    pricing of another status of the batch, or of a stored one (the rare slow path)."""
    best: dict[tuple[str, str, str], StatusEvent] = {}
    for status in statuses:
        kind = status[3]
        if kind is _DELIVERED or kind is _READ:
            key = (status[0], status[1], status[2])
            known = best.get(key)
            if known is None or _rank(status) < _rank(known):
                best[key] = status
    groups: dict[str, tuple[Waba, list[ChargeFacts]]] = {}
    missing: list[tuple[str, str, str]] = []
    for key, confirming in best.items():
        pricing = confirming.pricing
        if pricing is None or pricing.model is None:
            missing.append(key)
            continue
        _add_facts(groups, contexts, confirming, pricing)
    unpriced: list[tuple[StatusEvent, str, tuple[str, str] | None]] = []
    if missing:
        wanted = set(missing)
        in_batch: dict[tuple[str, str, str], list[StatusEvent]] = defaultdict(list)
        for status in statuses:
            key = (status[0], status[1], status[2])
            if key in wanted:
                in_batch[key].append(status)
        stored = uow.whatsapp.statuses_of([(k[1], k[2]) for k in missing])
        for key in missing:
            earlier = [
                _status_of(r, key[0])
                for r in stored
                if (r["phone_number_id"], r["wamid"]) == (key[1], key[2])
            ]
            group = in_batch[key] + earlier
            found = confirming_status(group)
            pricing = pricing_of(group, found) if found is not None else None
            if found is not None and pricing is not None and pricing.model is not None:
                _add_facts(groups, contexts, found, pricing)
            else:
                unpriced.append(
                    (best[key], best[key].wamid, inference.category_hint(best[key], group, []))
                )
    return groups, unpriced


def _rank(status: StatusEvent) -> tuple[int, int, int]:
    """D-3: ``delivered`` before ``read``, then the earliest, then one with pricing."""
    return (0 if status[3] is _DELIVERED else 1, status[4], 0 if status[9] is not None else 1)


def _add_facts(
    groups: dict[str, tuple[Waba, list[ChargeFacts]]],
    contexts: dict[str, WabaContext],
    confirming: StatusEvent,
    pricing: Pricing,
) -> None:
    waba_id = confirming[0]
    group = groups.get(waba_id)
    if group is None:
        group = groups[waba_id] = (contexts[waba_id].waba, [])
    model = pricing.model
    conversation = confirming[6]
    key = conversation if model is _CBP and conversation else confirming[2]
    group[1].append(
        _new_facts(
            ChargeFacts,
            (
                key,
                confirming[1],
                confirming[5],
                confirming[4],
                model,
                pricing.category,
                pricing.type or _REGULAR_TYPE,
                pricing.raw_category,
            ),
        )
    )


def _status_of(row: dict[str, Any], waba_id: str) -> StatusEvent:
    from tollhouse.domain.whatsapp.webhooks import parse_pricing  # noqa: PLC0415

    pricing = None
    if row["pricing_model"] or row["category"]:
        pricing = parse_pricing(
            {
                "pricing_model": row["pricing_model"],
                "type": row["pricing_type"],
                "category": row["category"],
            }
        )
    return StatusEvent(
        waba_id,
        row["phone_number_id"],
        row["wamid"],
        StatusKind(row["status"]),
        int(row["ts"]),
        row["recipient"],
        row["conversation_id"],
        None,
        None,
        pricing,
    )


def _seed(uow: UnitOfWork) -> Any:
    def seed(kind: str, key: tuple[str, ...]) -> int:
        if kind == "cbp_free":
            waba_id, month = key
            return int(
                uow.whatsapp.count_charges(
                    wabas=[waba_id], month=month, pricing_type=PricingType.FREE_TIER.value
                )
            )
        portfolio, market, group, month = key
        wabas = [
            r["waba_id"]
            for r in uow.whatsapp.wabas()
            if (r["portfolio_id"] or r["waba_id"]) == portfolio
        ]
        categories = [c.value for c, g in TIER_GROUP.items() if g == group]
        return int(
            uow.whatsapp.count_charges(
                wabas=wabas, month=month, categories=categories, market=market, status="rated"
            )
        )

    return seed


def _tier_reports(
    uow: UnitOfWork, rater: Rater, cat: Catalogue, contexts: dict[str, WabaContext]
) -> None:
    """D-14: Meta's reported volume tiers apply from their update time for the month."""
    markets = {m.lower(): m for m in cat.markets.markets}
    for account in {c.account for c in contexts.values()}:
        for row in uow.whatsapp.other_events(account=account, field="account_update"):
            context = contexts.get(row["waba_id"])
            if context is None:
                continue
            for event in parse_change(
                row["waba_id"], {"field": "account_update", "value": row["payload"]}
            ):
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
    rater.report_tier(
        portfolio_id=context.waba.portfolio_id,
        market=market,
        group=group,
        month=month,
        report=TierReport(from_ts, event.lower),
    )


def _unpriced_row(
    rater: Rater,
    status: StatusEvent,
    contexts: dict[str, WabaContext],
    nows: dict[str, datetime],
    reason: str = NO_PRICING,
) -> LedgerRow:
    context = contexts[status.waba_id]
    day, month, _ = rater.local_day(status.ts, context.waba.zone)
    match = rater.markets.resolve(status.recipient, day)
    charge = Charge(
        status.wamid,
        status.waba_id,
        status.phone_number_id,
        status.ts,
        month,
        PricingModel.PMP,
        match.country,
        match.market,
        "",
        PricingType.REGULAR,
        ChargeStatus.UNRATED,
        context.waba.currency,
        None,
        None,
        reason=reason,
    )
    return _ledger_rows([charge], contexts, nows)[0]


def month_is_final(month: str, zone: ZoneInfo, now: datetime) -> bool:
    """D-5: a month is final ``GRACE_DAYS`` after its last instant (local)."""
    year, number = (int(p) for p in month.split("-"))
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC).date()
    return now >= local_midnight(following, zone) + timedelta(days=GRACE_DAYS)


_MICROS: dict[Decimal, int] = {}


def micros(value: Decimal | None) -> int | None:
    """An exact rate or amount as integer micros, as ``ScaledDecimal(6)`` stores it (D-1)."""
    if value is None:
        return None
    found = _MICROS.get(value)
    if found is None:
        units = value.scaleb(6)
        if units != units.to_integral_value():
            raise PrecisionLoss(value, 6)
        found = int(units)
        if len(_MICROS) < 100_000:  # noqa: PLR2004 - a bounded memo of rates
            _MICROS[value] = found
    return found


def _ledger_rows(
    charges: list[Charge], contexts: dict[str, WabaContext], nows: dict[str, datetime]
) -> list[LedgerRow]:
    """Charges as ledger tuples; a charge of a final month is billed on the open one (D-5)."""
    billed_of: dict[tuple[str, str], tuple[str, str]] = {}
    rows: list[LedgerRow] = []
    append = rows.append
    for charge in charges:
        (
            key,
            waba_id,
            number,
            ts,
            month,
            model,
            country,
            market,
            category,
            kind,
            status,
            currency,
            rate,
            amount,
            quantity,
            tier,
            version,
            reason,
        ) = charge
        found = billed_of.get((waba_id, month))
        if found is None:
            found = billed_of[waba_id, month] = _billed(contexts[waba_id], month, nows)
        account, billed = found
        append(
            (
                account,
                waba_id,
                key,
                number,
                ts,
                month,
                billed,
                model,
                country,
                market,
                category,
                kind,
                status,
                currency,
                quantity,
                micros(rate),
                micros(amount),
                tier,
                version,
                reason or None,
            )
        )
    return rows


def _billed(context: WabaContext, month: str, nows: dict[str, datetime]) -> tuple[str, str]:
    now = nows[context.account]
    if month_is_final(month, context.waba.zone, now):
        return context.account, month_label(now, context.waba.zone)  # D-5: an adjustment
    return context.account, month


def _after_charges(
    runtime: Runtime,
    uow: UnitOfWork,
    rows: list[LedgerRow],
    contexts: dict[str, WabaContext],
    nows: dict[str, datetime],
    *,
    body_id: int,
) -> None:
    """Per batch and account: unrated alert, close tasks, budgets, wallet, one feed event."""
    from tollhouse.services import whatsapp_billing as billing  # noqa: PLC0415

    by_account: defaultdict[str, list[LedgerRow]] = defaultdict(list)
    for row in rows:
        by_account[row[_ACCOUNT]].append(row)
    for account, listed in by_account.items():
        now = nows[account]
        unrated = [r for r in listed if r[_STATUS] == "unrated"]
        if unrated:
            reasons = sorted({r[_REASON] or "" for r in unrated})[:5]
            billing.fire_alert(
                uow,
                account=account,
                kind="unrated_charge",
                dedupe=f"unrated:{account}:{body_id}:{len(unrated)}",
                at=now,
                payload={"count": len(unrated), "reasons": reasons},
            )
        months = {r[_BILLED] for r in listed}
        billing.schedule_close(runtime, uow, account, months)
        billing.check_budgets(runtime, uow, account, months, now)
        billing.check_wallet(runtime, uow, account, now)
    for account in {c.account for c in contexts.values()}:
        listed = by_account.get(account, [])
        events.publish(
            uow,
            tenant_id=tenant_of(account),
            kind="whatsapp.webhook",
            at=nows[account],
            payload={
                "body_id": body_id,
                "charges": len(listed),
                "unrated": sum(1 for r in listed if r[_STATUS] == "unrated"),
            },
        )


# ---- imports -------------------------------------------------------------------------------


ACTIVITY_TYPES: Final = frozenset(
    {
        "number_onboarded",
        "number_removed",
        "template_submitted",
        "addon_on",
        "addon_off",
        "addon_use",
        "wallet_topup",
    }
)


def import_records(
    runtime: Runtime,
    lines: list[str],
    *,
    first_line: int = 1,
) -> dict[str, Any]:
    """POST /v1/whatsapp/imports: each line stands alone; valid lines are kept (§8)."""
    from tollhouse.services import whatsapp_imports  # noqa: PLC0415

    return whatsapp_imports.import_lines(runtime, lines, first_line=first_line)
