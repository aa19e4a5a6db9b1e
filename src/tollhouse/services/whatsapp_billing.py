"""Rate cards, fee plans, statements, budgets, alerts and wallets (R-RC-*, §6, R-ST-*, R-BUD-*).

Statements are computed from the ledger while they are drafts and stored, frozen, once final
(month end + grace, D-5); a final statement is never rewritten, and charges that arrive for a
final month are billed on the open month as adjustment lines (R-RT-4).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from tollhouse.domain.errors import InvalidRequest
from tollhouse.domain.periods import Period, local_midnight, month_label
from tollhouse.domain.whatsapp.budgets import forecast_month_end
from tollhouse.domain.whatsapp.errors import (
    CurrencyRequired,
    InvalidFeePlan,
    MonthIsFinal,
    UnknownBudget,
)
from tollhouse.domain.whatsapp.fees import (
    AddonRule,
    Direction,
    FailedMode,
    FeeItem,
    MessageActivity,
    MessageClass,
    NumberActivity,
    Outcome,
    PercentageRule,
    PerMessageRule,
    TemplateSubmission,
    addon_fees,
    fee_rate,
    licence_fees,
    per_message_fees,
    percentage_fee,
    template_review_fees,
    unique_contact_bundles,
)
from tollhouse.domain.whatsapp.markets import parse_market_table
from tollhouse.domain.whatsapp.ratecards import RateBook, parse_rate_card
from tollhouse.domain.whatsapp.rating import Charge, ChargeStatus
from tollhouse.domain.whatsapp.statements import Adjustment, Statement, build_statement
from tollhouse.domain.whatsapp.vocabulary import PricingModel, PricingType
from tollhouse.services import events
from tollhouse.services.clocks import tenant_now
from tollhouse.services.runtime import Runtime, UnitOfWork
from tollhouse.services.whatsapp import account_zone, require_account, tenant_of
from tollhouse.services.whatsapp_ingest import (
    CLOSE_TASK,
    GRACE_DAYS,
    build_catalogue,
    catalogue,
)

ALERT_SIGNER: Final = "whatsapp_alert"
NON_TEMPLATE: Final = frozenset({"service", "group_service", "user_initiated"})


def dec(value: Decimal) -> str:
    """Decimal string for rates and exact amounts: at least 4 places, as cards print them."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    places = len(text.partition(".")[2])
    return text if places >= 4 else format(value.quantize(Decimal("0.0001")), "f")  # noqa: PLR2004


def month_period(month: str, zone: ZoneInfo) -> Period:
    year, number = (int(p) for p in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(local_midnight(first, zone), local_midnight(following, zone))


def _parse_month(raw: str) -> str:
    try:
        datetime.strptime(raw, "%Y-%m")  # noqa: DTZ007 - a month label, no instant
    except ValueError as exc:
        raise InvalidRequest(f"month {raw!r} is not YYYY-MM") from exc
    return raw


# ---- rate cards ---------------------------------------------------------------------------


def import_card(runtime: Runtime, text: str, *, kind: str = "rates") -> tuple[dict[str, Any], bool]:
    """R-RC-5: versioned and immutable; identical content returns the existing version."""
    with runtime.uow() as uow:
        cat = catalogue(runtime, uow)
        if kind == "markets":
            table = parse_market_table(text)
            version = "m" + hashlib.sha256(text.encode()).hexdigest()[:15]
            info = {
                "version": version,
                "kind": kind,
                "currencies": [],
                "rows": len(table.rows),
                "effective_from": [d.isoformat() for d in table.starts],
            }
        else:
            card = parse_rate_card(text, markets=cat.markets.markets)
            version = card.version
            info = {
                "version": version,
                "kind": "rates",
                "currencies": sorted(card.currencies),
                "rows": len(card.rows),
                "effective_from": [d.isoformat() for d in card.effective_dates],
            }
            if version in cat.shipped_versions:
                return info, False
            RateBook((*cat.book.cards, card))  # overlaps with other cards (R-RC-2, R-RC-3)
        if uow.whatsapp.card(version) is not None:
            return info, False
        rows = uow.whatsapp.cards()
        new = {
            "version": version,
            "kind": info["kind"],
            "content": text,
            "currencies": info["currencies"],
            "rows": info["rows"],
        }
        if kind == "markets":
            build_catalogue([*rows, new])  # every stored card must still name known markets
        uow.whatsapp.add_card({**new, "imported_at": runtime.system_clock.now()})
        if kind != "markets":
            rerate_open_months(runtime, uow, version, frozenset(r.key for r in card.rows))
        uow.commit()
    return info, True


def rerate_open_months(
    runtime: Runtime, uow: UnitOfWork, version: str, keys: frozenset[tuple[str, str, str]]
) -> int:
    """R-RT-4, D-5: after a card import, re-rate the rated charges of open (draft) months.

    The original charge is never edited: the difference between the rate now in force and the
    rate billed so far (original plus earlier re-ratings) is a new ledger row that references
    the original (``adjusts``) and shows as an adjustment line of the same month. Final months
    are never re-rated. Only the keys (currency, market, category) the card has rows for are
    looked at. Returns the number of adjustment rows written.
    """
    cat = catalogue(runtime, uow)
    currencies = frozenset(key[0] for key in keys)
    written = 0
    for account in uow.whatsapp.accounts():
        months = {m for m, cur in uow.whatsapp.billed_months(account["id"]) if cur in currencies}
        if not months:
            continue
        now = tenant_now(runtime, uow, account["tenant_id"])
        zone = account_zone(uow, account)
        open_months = sorted(m for m in months if not is_final(uow, account["id"], m, zone, now))
        if not open_months:
            continue
        rows = uow.whatsapp.rerate_candidates(account=account["id"], months=open_months)
        new = _rerate_rows(uow, cat.book, rows, version, keys)
        written += uow.whatsapp.insert_charges(new)
    return written


def _rerate_rows(
    uow: UnitOfWork,
    book: RateBook,
    rows: list[dict[str, Any]],
    version: str,
    keys: frozenset[tuple[str, str, str]],
) -> list[dict[str, Any]]:
    billed: dict[int, Decimal] = {}
    originals: list[dict[str, Any]] = []
    for row in rows:
        if row["adjusts"] is None:
            originals.append(row)
            billed[row["id"]] = billed.get(row["id"], Decimal(0)) + row["unit_rate"]
        else:
            billed[row["adjusts"]] = billed.get(row["adjusts"], Decimal(0)) + row["unit_rate"]
    zones: dict[str, ZoneInfo] = {}
    new: list[dict[str, Any]] = []
    for row in originals:
        if (row["currency"], row["market"], row["category"]) not in keys:
            continue
        zone = zones.get(row["waba_id"])
        if zone is None:
            waba = uow.whatsapp.waba(row["waba_id"])
            zone = zones[row["waba_id"]] = ZoneInfo(waba["time_zone"] if waba else "UTC")
        day = datetime.fromtimestamp(row["ts"], UTC).astimezone(zone).date()
        entry = book.in_force(row["currency"], row["market"], row["category"], day)
        if entry is None:
            continue  # withdrawn keys keep their billed rate (decisions, issue 7)
        if row["tier"] is None:
            rate = entry.flat
        else:
            rate = next((t.rate for t in entry.tiers if t.label == row["tier"]), None)
        if rate is None:
            continue  # a flat key became tiered or the tier is gone: not re-rated
        delta = rate - billed[row["id"]]
        if delta == 0:
            continue
        new.append(
            {
                **{k: v for k, v in row.items() if k not in ("id", "adjusts")},
                "charge_key": f"{row['charge_key']}#rerate:{version}",
                "unit_rate": delta,
                "amount": delta * row["quantity"],
                "card_version": entry.version,
                "reason": f"re-rated after card import {version} (R-RT-4)",
                "adjusts": row["id"],
            }
        )
    return new


def cards_in_force(runtime: Runtime, *, currency: str | None, on: date) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        cat = catalogue(runtime, uow)
        stored = uow.whatsapp.cards()
    currencies = (
        [currency] if currency else sorted({c for card in cat.book.cards for c in card.currencies})
    )
    rows = []
    for cur in currencies:
        for (cur_, market, category), entry in sorted(cat.book.rows_in_force(cur, on)):
            rows.append(
                {
                    "currency": cur_,
                    "market": market,
                    "category": category,
                    "rate": dec(entry.list_rate) if entry.list_rate is not None else None,
                    "tiers": [{"tier": t.label, "rate": dec(t.rate)} for t in entry.tiers],
                    "effective_from": entry.effective_from.isoformat(),
                    "version": entry.version,
                }
            )
    versions = [
        {"version": v, "kind": "rates", "shipped": True} for v in sorted(cat.shipped_versions)
    ]
    versions += [
        {
            "version": c["version"],
            "kind": c["kind"],
            "shipped": False,
            "imported_at": c["imported_at"].isoformat(),
        }
        for c in stored
    ]
    return {"versions": versions, "at": on.isoformat(), "rows": rows}


# ---- fee plans ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeePlan:
    currency: str
    per_message: tuple[PerMessageRule, ...]
    percentages: tuple[PercentageRule, ...]
    licence_plans: dict[str, Decimal]
    template_review: tuple[Decimal, bool] | None
    addons: tuple[tuple[AddonRule, str], ...]
    bundles: tuple[tuple[int, Decimal, str], ...]
    wallet: dict[str, Any]


def parse_fee_plan(plan: dict[str, Any]) -> FeePlan:  # noqa: C901, PLR0912 - one branch per model (§6.1)
    currency = str(plan.get("currency") or "")
    if len(currency) != 3:  # noqa: PLR2004
        raise InvalidFeePlan(f"currency {currency!r} must be an ISO 4217 code")
    per_message, percentages, addons, bundles = [], [], [], []
    plans: dict[str, Decimal] = {}
    review: tuple[Decimal, bool] | None = None
    for index, rule in enumerate(plan.get("rules") or ()):
        model = rule.get("model")
        name = str(rule.get("name") or model)
        where = f"rules[{index}]"
        try:
            if model == "meta_passthrough":
                markup = fee_rate(
                    str(rule.get("markup_percent", "0")), what=f"{where}.markup_percent"
                )
                if markup > 0:
                    percentages.append(PercentageRule("markup", markup, "meta"))
            elif model == "per_message":
                failed = rule.get("failed_amount")
                per_message.append(
                    PerMessageRule(
                        name,
                        fee_rate(str(rule["amount"]), what=f"{where}.amount"),
                        Direction(rule.get("direction", "both")),
                        MessageClass(rule.get("message_class", "both")),
                        Outcome(rule.get("count_on", "accepted")),
                        fee_rate(str(failed), what=f"{where}.failed_amount") if failed else None,
                        FailedMode(rule.get("failed_mode", "replace")),
                        int(rule.get("free_units", 0)),
                        frozenset(rule["categories"]) if rule.get("categories") else None,
                        frozenset(rule["markets"]) if rule.get("markets") else None,
                    )
                )
            elif model == "percentage":
                base = rule.get("base") or {}
                percentages.append(
                    PercentageRule(
                        name,
                        fee_rate(str(rule["percent"]), what=f"{where}.percent"),
                        str(base.get("source", "meta")),
                        frozenset(base["categories"]) if base.get("categories") else None,
                    )
                )
            elif model == "number_licence":
                listed = rule.get("plans") or {rule.get("plan", "regular"): rule["amount"]}
                for plan_name, amount in listed.items():
                    plans[str(plan_name)] = fee_rate(str(amount), what=f"{where}.amount")
            elif model == "template_review":
                review = (
                    fee_rate(str(rule["amount"]), what=f"{where}.amount"),
                    bool(rule.get("count_resubmissions", False)),
                )
            elif model == "addon_monthly":
                per_use = rule.get("per_use")
                addons.append(
                    (
                        AddonRule(
                            name,
                            fee_rate(str(rule.get("amount", "0")), what=f"{where}.amount"),
                            fee_rate(str(per_use), what=f"{where}.per_use") if per_use else None,
                            int(rule.get("free_units", 0)),
                        ),
                        str(rule.get("scope", "billing_account")),
                    )
                )
            elif model == "unique_contact_bundle":
                bundles.append(
                    (
                        int(rule["bundle_size"]),
                        fee_rate(str(rule["amount"]), what=f"{where}.amount"),
                        name,
                    )
                )
            elif model in ("prepaid_wallet", "fx_margin"):
                continue
            else:
                raise InvalidFeePlan(f"{where}.model {model!r} is not a model of §6.1")
        except (KeyError, ValueError) as exc:
            raise InvalidFeePlan(f"{where} ({model}) is incomplete or wrong: {exc}") from exc
    return FeePlan(
        currency,
        tuple(per_message),
        tuple(percentages),
        plans,
        review,
        tuple(addons),
        tuple(bundles),
        dict(plan.get("wallet") or {}),
    )


def put_fee_plan(runtime: Runtime, account_id: str, plan: dict[str, Any]) -> dict[str, Any]:
    parse_fee_plan(plan)
    with runtime.uow() as uow:
        account = require_account(uow, account_id)
        uow.lock_tenant(account["tenant_id"])
        zone = account_zone(uow, account)
        now = tenant_now(runtime, uow, account["tenant_id"])
        month = _parse_month(plan.get("effective_from") or month_label(now, zone))
        if is_final(uow, account_id, month, zone, now):
            raise MonthIsFinal(month)
        version = uow.whatsapp.add_fee_plan(
            {
                "billing_account": account_id,
                "effective_from": month,
                "plan": {k: v for k, v in plan.items() if k != "effective_from"},
                "created_at": now,
            }
        )
        uow.commit()
    return {"version": version, "effective_from": month}


def get_fee_plan(runtime: Runtime, account_id: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        account = require_account(uow, account_id)
        now = tenant_now(runtime, uow, account["tenant_id"])
        row = uow.whatsapp.fee_plan(account_id, month_label(now, account_zone(uow, account)))
    if row is None:
        return {"version": None, "effective_from": None, "plan": None}
    return {"version": row["id"], "effective_from": row["effective_from"], **row["plan"]}


# ---- statements -------------------------------------------------------------------------------


def is_final(uow: UnitOfWork, account: str, month: str, zone: ZoneInfo, now: datetime) -> bool:
    period = month_period(month, zone)
    return now >= period.end + timedelta(days=GRACE_DAYS) or bool(
        [s for s in uow.whatsapp.statements(account) if s["month"] == month]
    )


def _charges_of(
    uow: UnitOfWork, account: str, month: str, currency: str
) -> tuple[list[Charge], list[Adjustment], int]:
    charges: list[Charge] = []
    adjustments: list[Adjustment] = []
    unrated = 0
    for group in uow.whatsapp.charge_groups(account=account, billed_month=month, currency=currency):
        if group["status"] == ChargeStatus.UNRATED.value:
            unrated += int(group["charges"])
            continue
        charge = Charge(
            key="",
            waba_id="",
            phone_number_id="",
            ts=0,
            month=group["month"],
            model=PricingModel(group["model"]),
            country="",
            market=group["market"],
            category=group["category"],
            pricing_type=PricingType(group["pricing_type"]),
            status=ChargeStatus(group["status"]),
            currency=group["currency"],
            unit_rate=group["unit_rate"],
            amount=None,
            quantity=int(group["quantity"]),
            tier=group["tier"],
            card_version=group["card_version"],
        )
        if group["month"] != month or group["adjustment"]:
            adjustments.append(Adjustment(group["month"], charge))
        else:
            charges.append(charge)
    return charges, adjustments, unrated


def compute_statement(
    runtime: Runtime, uow: UnitOfWork, account_id: str, month: str, currency: str
) -> tuple[Statement, dict[str, Any]]:
    account = require_account(uow, account_id)
    zone = account_zone(uow, account)
    period = month_period(month, zone)
    charges, adjustments, unrated = _charges_of(uow, account_id, month, currency)
    plan_row = uow.whatsapp.fee_plan(account_id, month)
    fees: list[FeeItem] = []
    if plan_row is not None:
        plan = parse_fee_plan(plan_row["plan"])
        if plan.currency == currency:
            fees = _fees(runtime, uow, account_id, plan, period, charges, currency)
    start, end = int(period.start.timestamp()), int(period.end.timestamp())
    pending = uow.whatsapp.pending_count(account=account_id, start_ts=start, end_ts=end)
    statement = build_statement(
        currency=currency,
        month=month,
        charges=charges,
        fees=fees,
        adjustments=adjustments,
        pending=pending,
    )
    statement = replace(statement, unrated=unrated)
    return statement, {"zone": zone.key, "period": period}


def _fees(  # noqa: PLR0917 - internal step; every part is required
    runtime: Runtime,
    uow: UnitOfWork,
    account: str,
    plan: FeePlan,
    period: Period,
    charges: list[Charge],
    currency: str,
) -> list[FeeItem]:
    month = Period(period.start, period.end)
    start, end = int(period.start.timestamp()), int(period.end.timestamp())
    items: list[FeeItem] = []
    if plan.per_message or plan.bundles:
        messages, recipients = _messages(
            runtime, uow, account, start, end, need_market=any(r.markets for r in plan.per_message)
        )
        for rule in plan.per_message:
            items += per_message_fees(rule, messages, currency=currency)
        for size, amount, name in plan.bundles:
            items += unique_contact_bundles(
                recipients, bundle_size=size, amount=amount, currency=currency, name=name
            )
    if plan.licence_plans:
        numbers = [
            NumberActivity(n["phone_number_id"], n["plan"], n["onboarded_at"], n["removed_at"])
            for n in uow.whatsapp.numbers(account=account)
        ]
        items += licence_fees(
            numbers, plans=plan.licence_plans, month=month, currency=currency, name="licence"
        )
    activity = uow.whatsapp.activity(
        account=account,
        types=["template_submitted", "addon_on", "addon_off", "addon_use"],
        until=period.end,
    )
    if plan.template_review is not None:
        amount, resubmissions = plan.template_review
        submissions = [
            TemplateSubmission(
                a["payload"].get("template_name", ""),
                a["payload"].get("language", ""),
                bool(a["payload"].get("is_new", True)),
            )
            for a in activity
            if a["type"] == "template_submitted" and a["at"] >= period.start
        ]
        items += template_review_fees(
            submissions, amount=amount, currency=currency, count_resubmissions=resubmissions
        )
    for addon, scope in plan.addons:
        items += _addon(addon, scope, activity, period, currency)
    for percentage in plan.percentages:
        fee = percentage_fee(percentage, charges, items, currency=currency)
        if fee is not None:
            items.append(fee)
    return items


def _addon(
    rule: AddonRule, scope: str, activity: list[dict[str, Any]], period: Period, currency: str
) -> list[FeeItem]:
    """D-25: active on any day of the month; uses counted in the month."""
    state: dict[str, bool] = {}
    active: set[str] = set()
    uses = 0
    for row in activity:
        payload = row["payload"]
        if payload.get("addon") != rule.name:
            continue
        unit = str(payload.get("phone_number_id") or "") if scope == "number" else "account"
        if row["type"] == "addon_on":
            state[unit] = True
            if row["at"] < period.end:
                active.add(unit)
        elif row["type"] == "addon_off":
            if row["at"] < period.start:
                state[unit] = False
                active.discard(unit)
        elif row["type"] == "addon_use" and row["at"] >= period.start:
            uses += int(payload.get("units", 1))
    active = {u for u in active if state.get(u, False) or u in active}
    return addon_fees(rule, active_scopes=len(active), uses=uses, currency=currency)


def _messages(
    runtime: Runtime, uow: UnitOfWork, account: str, start: int, end: int, *, need_market: bool
) -> tuple[list[MessageActivity], list[str]]:
    by_wamid: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in uow.whatsapp.statuses_between(account=account, start_ts=start, end_ts=end):
        by_wamid[row[0]].append(row)
    resolver = catalogue(runtime, uow).resolver if need_market else None
    messages: list[MessageActivity] = []
    recipients: list[str] = []
    for wamid, rows in by_wamid.items():
        kinds = {r[1] for r in rows}
        category = next((r[2] for r in rows if r[2]), None)
        outcome = (
            Outcome.DELIVERED
            if kinds & {"delivered", "read"}
            else Outcome.FAILED
            if "failed" in kinds
            else Outcome.ACCEPTED
        )
        recipient = rows[0][3]
        market = None
        if resolver is not None:
            day = datetime.fromtimestamp(rows[0][4], tz=UTC).date()
            market = resolver.resolve(recipient, day).market
        messages.append(
            MessageActivity(
                wamid, Direction.OUTBOUND, category not in NON_TEMPLATE, outcome, category, market
            )
        )
        recipients.append(recipient)
    inbound = uow.whatsapp.inbound_count(account=account, start_ts=start, end_ts=end)
    messages += [
        MessageActivity(f"in{i}", Direction.INBOUND, False, Outcome.RECEIVED)  # noqa: FBT003 - a positional value type
        for i in range(inbound)
    ]
    return messages, recipients


def statement_json(statement: Statement, *, account: str, status: str) -> dict[str, Any]:
    digits = statement.minor_digits
    lines = [
        {
            "section": line.section.value,
            "market": line.market,
            "category": line.category,
            "pricing_type": line.pricing_type,
            "tier": line.tier,
            "quantity": line.quantity,
            "unit_rate": dec(line.unit_rate),
            "amount_exact": dec(line.amount_exact),
            "amount": line.amount_minor(digits),
            "original_month": line.original_month,
        }
        for line in statement.lines
    ]
    return {
        "billing_account": account,
        "month": statement.month,
        "currency": statement.currency,
        "status": status,
        "lines": lines,
        "total": statement.total_minor,
        "total_exact": dec(statement.total_exact),
        "free": statement.free,
        "pending": statement.pending,
        "unrated": statement.unrated,
        "adjustments": [line for line in lines if line["section"] == "adjustments"],
        "rate_card_versions": list(statement.rate_card_versions),
    }


def statement_csv(body: dict[str, Any]) -> str:
    out = io.StringIO()
    columns = [
        "section",
        "market",
        "category",
        "pricing_type",
        "tier",
        "quantity",
        "unit_rate",
        "amount_exact",
        "amount",
        "original_month",
    ]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for line in body["lines"]:
        writer.writerow(["" if line[c] is None else line[c] for c in columns])
    writer.writerow(["total", "", "", "", "", "", "", body["total_exact"], body["total"], ""])
    return out.getvalue()


def statement_currencies(uow: UnitOfWork, account: str, month: str) -> list[str]:
    found = set(uow.whatsapp.charge_currencies(account=account, billed_month=month))
    plan = uow.whatsapp.fee_plan(account, month)
    if plan is not None and plan["plan"].get("currency"):
        found.add(plan["plan"]["currency"])
    found |= {s["currency"] for s in uow.whatsapp.statements(account) if s["month"] == month}
    return sorted(found)


def get_statement(
    runtime: Runtime, account_id: str, month: str, currency: str | None = None
) -> dict[str, Any]:
    """A final statement as issued, or the draft computed now (issued once past its grace)."""
    month = _parse_month(month)
    with runtime.uow() as uow:
        account = require_account(uow, account_id)
        currencies = statement_currencies(uow, account_id, month)
        if currency is None:
            if len(currencies) > 1:
                raise CurrencyRequired(month, currencies)
            currency = currencies[0] if currencies else (account["currencies"] or ["USD"])[0]
        stored = uow.whatsapp.statement(account_id, currency, month)
        if stored is not None:
            return dict(stored["body"])
        now = tenant_now(runtime, uow, account["tenant_id"])
        zone = account_zone(uow, account)
        statement, _ = compute_statement(runtime, uow, account_id, month, currency)
        if now >= month_period(month, zone).end + timedelta(days=GRACE_DAYS):
            body = statement_json(statement, account=account_id, status="final")
            _issue(uow, account, month, currency, body, now)
            uow.commit()
            return body
        return statement_json(statement, account=account_id, status="draft")


def _issue(  # noqa: PLR0917 - internal step; every part is required
    uow: UnitOfWork,
    account: dict[str, Any],
    month: str,
    currency: str,
    body: dict[str, Any],
    at: datetime,
) -> None:
    if uow.whatsapp.add_statement(
        {
            "billing_account": account["id"],
            "currency": currency,
            "month": month,
            "issued_at": at,
            "body": body,
        }
    ):
        events.publish(
            uow,
            tenant_id=account["tenant_id"],
            kind="whatsapp.statement_closed",
            at=at,
            payload={
                "billing_account": account["id"],
                "month": month,
                "currency": currency,
                "total": body["total"],
            },
        )


def list_statements(
    runtime: Runtime, account_id: str, currency: str | None = None
) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        require_account(uow, account_id)
        months = {(m, c) for m, c in uow.whatsapp.billed_months(account_id)}
        months |= {(s["month"], s["currency"]) for s in uow.whatsapp.statements(account_id)}
    result = []
    for month, cur in sorted(months):
        if currency is None or cur == currency:
            body = get_statement(runtime, account_id, month, cur)
            result.append(
                {
                    "month": month,
                    "currency": cur,
                    "status": body["status"],
                    "total": body["total"],
                    "total_exact": body["total_exact"],
                }
            )
    return result


def schedule_close(runtime: Runtime, uow: UnitOfWork, account: str, months: set[str]) -> None:
    """Statement close at month end + grace, once per account and month (R-ST-3)."""
    scheduled: set[tuple[str, str]] = runtime.extras.setdefault("whatsapp_closes", set())
    todo = [m for m in months if (account, m) not in scheduled]
    if not todo:
        return
    row = require_account(uow, account)
    zone = account_zone(uow, row)
    for month in todo:
        due = month_period(month, zone).end + timedelta(days=GRACE_DAYS)
        uow.tasks.add(
            tenant_id=row["tenant_id"],
            due_at=due,
            kind=CLOSE_TASK,
            payload={"billing_account": account, "month": month},
            dedupe_key=f"wa-close:{account}:{month}",
        )
        scheduled.add((account, month))


def close_statement(
    runtime: Runtime, uow: UnitOfWork, payload: dict[str, Any], at: datetime
) -> str:
    account = require_account(uow, payload["billing_account"])
    month = payload["month"]
    issued = []
    for currency in statement_currencies(uow, account["id"], month):
        if uow.whatsapp.statement(account["id"], currency, month) is None:
            statement, _ = compute_statement(runtime, uow, account["id"], month, currency)
            body = statement_json(statement, account=account["id"], status="final")
            _issue(uow, account, month, currency, body, at)
            issued.append(f"{currency} {body['total']}")
    return f"statement {account['id']} {month} final: {', '.join(issued) or 'nothing new'}"


# ---- alerts, hooks ----------------------------------------------------------------------------


def fire_alert(
    uow: UnitOfWork, *, account: str, kind: str, dedupe: str, at: datetime, payload: dict[str, Any]
) -> bool:
    """An alert fires once per dedupe key: feed event, plus a signed POST per hook (R-BUD-5)."""
    data = {"type": kind, "billing_account": account, **payload}
    if not uow.whatsapp.add_alert(
        {
            "dedupe": dedupe,
            "billing_account": account,
            "kind": kind,
            "at": at,
            "payload": json.loads(json.dumps(data, default=str)),
        }
    ):
        return False
    tenant = tenant_of(account)
    events.publish(
        uow,
        tenant_id=tenant,
        kind=f"whatsapp.alert.{kind}",
        at=at,
        payload=json.loads(json.dumps(data, default=str)),
    )
    for hook in uow.whatsapp.hooks(account):
        if hook["events"] and kind not in hook["events"]:
            continue
        body = json.dumps(
            {"type": kind, "billing_account": account, "at": at.isoformat(), "data": data},
            default=str,
            sort_keys=True,
        )
        events.publish(
            uow,
            tenant_id=tenant,
            kind="whatsapp.alert_delivery",
            at=at,
            payload={"signer": ALERT_SIGNER, "hook_id": hook["id"], "type": kind},
            target_url=hook["url"],
            content_type="application/json",
            body=body,
            dedupe_key=f"wa-hook:{hook['id']}:{dedupe}",
        )
    return True


def add_hook(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    hook_id = "hook_" + secrets.token_hex(6)
    with runtime.uow() as uow:
        require_account(uow, body["billing_account"])
        uow.whatsapp.add_hook(
            {
                "id": hook_id,
                "billing_account": body["billing_account"],
                "url": body["url"],
                "secret": body["secret"],
                "events": list(body.get("events") or []),
                "created_at": runtime.system_clock.now(),
            }
        )
        uow.commit()
    return {
        "id": hook_id,
        "billing_account": body["billing_account"],
        "url": body["url"],
        "events": list(body.get("events") or []),
        "secret_set": True,
    }


def _sign_alert(
    _runtime: Runtime, uow: UnitOfWork, event: Any, _at: datetime
) -> tuple[str, bytes, dict[str, str]]:
    hook = uow.whatsapp.hook(event.payload["hook_id"])
    body = (event.body or "").encode()
    digest = hmac.new((hook or {}).get("secret", "").encode(), body, hashlib.sha256).hexdigest()
    return (
        event.target_url,
        body,
        {"Content-Type": "application/json", "X-Tollhouse-Signature": f"sha256={digest}"},
    )


# ---- budgets ----------------------------------------------------------------------------------


def _minor(currency: str) -> int:
    from tollhouse.domain.whatsapp.statements import minor_digits  # noqa: PLC0415

    return minor_digits(currency)


def create_budget(runtime: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    scope = body.get("scope") or {"type": "billing_account"}
    amount = body.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        raise InvalidFeePlan(f"budget amount {amount!r} must be positive integer minor units")
    thresholds = [int(t) for t in body.get("thresholds") or (50, 80, 100)]
    if any(t <= 0 for t in thresholds):
        raise InvalidFeePlan(f"thresholds {thresholds} must be positive percentages")
    budget_id = "bud_" + secrets.token_hex(6)
    with runtime.uow() as uow:
        account = require_account(uow, body["billing_account"])
        uow.whatsapp.add_budget(
            {
                "id": budget_id,
                "billing_account": account["id"],
                "scope_type": scope.get("type", "billing_account"),
                "scope_id": str(scope.get("id") or account["id"]),
                "currency": body.get("currency") or "USD",
                "amount": amount,
                "thresholds": thresholds,
                "basis": body.get("basis") or "total",
                "forecast": bool(body.get("forecast", False)),
                "hard_limit": bool(body.get("hard_limit", False)),
                "created_at": runtime.system_clock.now(),
            }
        )
        uow.commit()
    return get_budget(runtime, budget_id)


def get_budget(runtime: Runtime, budget_id: str, *, month: str | None = None) -> dict[str, Any]:
    """The budget with its spend and alerts in ``month`` (default: the current local month)."""
    with runtime.uow(readonly=True) as uow:
        budget = uow.whatsapp.budget(budget_id)
        if budget is None:
            raise UnknownBudget(budget_id)
        account = require_account(uow, budget["billing_account"])
        if month is None:
            now = tenant_now(runtime, uow, account["tenant_id"])
            month = month_label(now, account_zone(uow, account))
        spent = budget_spend(runtime, uow, budget, month)
        sent = [
            a["payload"]
            for a in uow.whatsapp.alerts(
                budget["billing_account"], prefix=f"budget:{budget_id}:{month}:"
            )
        ]
        forecast = [
            a["payload"]
            for a in uow.whatsapp.alerts(
                budget["billing_account"], prefix=f"forecast:{budget_id}:{month}"
            )
        ]
    digits = _minor(budget["currency"])
    return {
        "id": budget["id"],
        "billing_account": budget["billing_account"],
        "scope": {"type": budget["scope_type"], "id": budget["scope_id"]},
        "currency": budget["currency"],
        "amount": budget["amount"],
        "thresholds": budget["thresholds"],
        "basis": budget["basis"],
        "forecast": budget["forecast"],
        "hard_limit": budget["hard_limit"],
        "period": month,
        "spent": int(spent.scaleb(digits).to_integral_value(ROUND_FLOOR)),
        "spent_exact": dec(spent),
        "alerts_sent": sent + forecast,
    }


def budget_spend(runtime: Runtime, uow: UnitOfWork, budget: dict[str, Any], month: str) -> Decimal:
    """D-31: confirmed exact charges; BSP fees of the month for basis ``bsp`` and ``total``."""
    meta = Decimal(0)
    if budget["basis"] in ("meta", "total"):
        meta = uow.whatsapp.spend(
            account=budget["billing_account"],
            billed_month=month,
            currency=budget["currency"],
            scope_type=budget["scope_type"],
            scope_id=budget["scope_id"],
        )
    bsp = Decimal(0)
    if budget["basis"] in ("bsp", "total") and budget["scope_type"] == "billing_account":
        plan_row = uow.whatsapp.fee_plan(budget["billing_account"], month)
        if plan_row is not None and plan_row["plan"].get("currency") == budget["currency"]:
            statement, _ = compute_statement(
                runtime, uow, budget["billing_account"], month, budget["currency"]
            )
            bsp = sum(
                (
                    line.amount_exact
                    for line in statement.lines
                    if line.section.value not in ("meta", "adjustments")
                ),
                Decimal(0),
            )
    return meta + bsp


def check_budgets(
    runtime: Runtime, uow: UnitOfWork, account: str, months: set[str], now: datetime
) -> None:
    budgets = uow.whatsapp.budgets([account])
    if not budgets:
        return
    row = require_account(uow, account)
    zone = account_zone(uow, row)
    current = month_label(now, zone)
    for budget in budgets:
        limit = Decimal(budget["amount"]).scaleb(-_minor(budget["currency"]))
        for month in sorted(months):
            spent = budget_spend(runtime, uow, budget, month)
            for threshold in sorted(budget["thresholds"]):
                if spent * 100 >= limit * threshold:
                    fire_alert(
                        uow,
                        account=account,
                        kind="threshold_reached",
                        dedupe=f"budget:{budget['id']}:{month}:{threshold}",
                        at=now,
                        payload={
                            "budget_id": budget["id"],
                            "period": month,
                            "threshold": threshold,
                            "spent_exact": dec(spent),
                            "amount": budget["amount"],
                        },
                    )
            if budget["forecast"] and month == current:
                period = month_period(month, zone)
                projected = forecast_month_end(spent, period, at=max(now, period.start))
                if projected > limit:
                    fire_alert(
                        uow,
                        account=account,
                        kind="forecast_exceeds",
                        dedupe=f"forecast:{budget['id']}:{month}",
                        at=now,
                        payload={
                            "budget_id": budget["id"],
                            "period": month,
                            "forecast_exact": dec(projected),
                            "spent_exact": dec(spent),
                            "amount": budget["amount"],
                        },
                    )


def forecast(runtime: Runtime, account_id: str, currency: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        account = require_account(uow, account_id)
        zone = account_zone(uow, account)
        now = tenant_now(runtime, uow, account["tenant_id"])
        month = month_label(now, zone)
        spent = uow.whatsapp.spend(account=account_id, billed_month=month, currency=currency)
    period = month_period(month, zone)
    projected = forecast_month_end(spent, period, at=max(now, period.start))
    return {
        "month": month,
        "currency": currency,
        "spent_exact": dec(spent),
        "forecast_exact": dec(projected),
    }


def update_budget(runtime: Runtime, budget_id: str, values: dict[str, Any]) -> dict[str, Any]:
    allowed = {"amount", "thresholds", "basis", "forecast", "hard_limit"}
    with runtime.uow() as uow:
        if uow.whatsapp.budget(budget_id) is None:
            raise UnknownBudget(budget_id)
        changes = {k: v for k, v in values.items() if k in allowed and v is not None}
        if changes:
            uow.whatsapp.update_budget(budget_id, changes)
        uow.commit()
    return get_budget(runtime, budget_id)


def delete_budget(runtime: Runtime, budget_id: str) -> None:
    with runtime.uow() as uow:
        if not uow.whatsapp.delete_budget(budget_id):
            raise UnknownBudget(budget_id)
        uow.commit()


def list_budgets(
    runtime: Runtime, account: str | None, *, month: str | None = None
) -> list[dict[str, Any]]:
    with runtime.uow(readonly=True) as uow:
        accounts = [account] if account else [a["id"] for a in uow.whatsapp.accounts()]
        ids = [b["id"] for b in uow.whatsapp.budgets(accounts)]
    return [get_budget(runtime, budget_id, month=month) for budget_id in ids]


# ---- wallets ----------------------------------------------------------------------------------


def wallet_state(
    uow: UnitOfWork, account: str, currency: str, now: datetime | None = None
) -> dict[str, Any]:
    """R-BUD-4: top-ups minus confirmed Meta charges; balance floored to minor units;
    ``reserved`` holds the active estimate reservations at ``now`` (rounded up)."""
    topups = [
        a
        for a in uow.whatsapp.activity(account=account, types=["wallet_topup"])
        if a["payload"].get("currency") == currency
    ]
    digits = _minor(currency)
    credited = Decimal(sum(int(a["payload"]["amount"]) for a in topups)).scaleb(-digits)
    debited = uow.whatsapp.spend(account=account, billed_month=None, currency=currency)
    balance = int((credited - debited).scaleb(digits).to_integral_value(ROUND_FLOOR))
    held = (
        uow.whatsapp.reserved(account=account, currency=currency, now=now)
        if now is not None
        else Decimal(0)
    )
    reserved = int(held.scaleb(digits).to_integral_value(ROUND_CEILING))
    plan_row = uow.whatsapp.fee_plan(account, "9999-12")
    wallet = (plan_row or {}).get("plan", {}).get("wallet") or {}
    minimum = int(wallet.get("minimum_balance", 0))
    available = balance - reserved
    return {
        "currency": currency,
        "balance": balance,
        "reserved": reserved,
        "available": available,
        "minimum_balance": minimum,
        "blocked": bool(wallet.get("block", False)) and available < minimum,
        "balance_exact": dec(credited - debited),
        "reserved_exact": dec(held),
        "available_exact": dec(credited - debited - held),
        "topups": len(topups),
        "low_balance_alerts": [int(t) for t in wallet.get("low_balance_alerts") or ()],
        "enabled": bool(wallet.get("enabled", False)),
        "block": bool(wallet.get("block", False)),
    }


def get_wallet(runtime: Runtime, account_id: str, currency: str) -> dict[str, Any]:
    with runtime.uow(readonly=True) as uow:
        row = require_account(uow, account_id)
        now = tenant_now(runtime, uow, row["tenant_id"])
        state = wallet_state(uow, account_id, currency, now)
    return {
        k: state[k]
        for k in (
            "currency",
            "balance",
            "reserved",
            "available",
            "minimum_balance",
            "blocked",
            "balance_exact",
            "reserved_exact",
        )
    }


def check_wallet(runtime: Runtime, uow: UnitOfWork, account: str, now: datetime) -> None:  # noqa: ARG001 - the batch-bookkeeping signature
    plan_row = uow.whatsapp.fee_plan(account, "9999-12")
    if plan_row is None or not (plan_row["plan"].get("wallet") or {}).get("enabled"):
        return
    currency = plan_row["plan"].get("currency") or "USD"
    state = wallet_state(uow, account, currency, now)
    for threshold in state["low_balance_alerts"]:
        if state["available"] < threshold:
            fire_alert(
                uow,
                account=account,
                kind="wallet_low",
                dedupe=f"wallet_low:{account}:{currency}:{threshold}:{state['topups']}",
                at=now,
                payload={"threshold": threshold, "balance": state["balance"]},
            )
    if state["blocked"]:
        fire_alert(
            uow,
            account=account,
            kind="wallet_blocked",
            dedupe=f"wallet_blocked:{account}:{currency}:{state['topups']}",
            at=now,
            payload={"balance": state["balance"], "minimum_balance": state["minimum_balance"]},
        )


def install(runtime: Runtime) -> None:
    runtime.register(CLOSE_TASK, close_statement)
    runtime.signers[ALERT_SIGNER] = _sign_alert
