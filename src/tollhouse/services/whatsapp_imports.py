"""Imports: the §4.10 NDJSON records (``POST /v1/whatsapp/imports``) and historical status
files (CSV or JSON lines, from the CLI). Each record is validated alone; the valid ones of a
chunk are stored in one transaction; every record is kept once by its idempotency key."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from tollhouse.domain.errors import TollhouseError
from tollhouse.domain.whatsapp.errors import InvalidImportRecord, InvalidWebhook, UnknownWaba
from tollhouse.domain.whatsapp.webhooks import parse_pricing, parse_status
from tollhouse.services.runtime import Runtime
from tollhouse.services.whatsapp import tenant_of
from tollhouse.services.whatsapp_ingest import (
    ACTIVITY_TYPES,
    Batch,
    TokenUsage,
    store,
)

CHUNK: Final = 2000
STATUS_COLUMNS: Final = (
    "waba_id",
    "phone_number_id",
    "wamid",
    "status",
    "timestamp",
    "recipient_id",
    "pricing_model",
    "pricing_type",
    "category",
    "conversation_id",
    "error_code",
)


def _instant(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise InvalidImportRecord(f"timestamp {raw!r} must be an RFC 3339 string with offset")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidImportRecord(f"timestamp {raw!r} is not RFC 3339") from exc
    if parsed.utcoffset() is None:
        raise InvalidImportRecord(f"timestamp {raw!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _require(record: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if record.get(n) in (None, "")]
    if missing:
        raise InvalidImportRecord(f"{record.get('type')} record misses {', '.join(missing)}")


def _parse_line(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InvalidImportRecord(f"the line is not JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise InvalidImportRecord("the line is not a JSON object")
    _require(record, "type", "idempotency_key")
    kind = record["type"]
    if kind == "webhook":
        if not isinstance(record.get("body"), dict):
            raise InvalidImportRecord("a webhook record needs the Meta body in `body`")
        return record
    _instant(record.get("timestamp"))
    if kind == "meta_tokens":
        _require(record, "waba_id", "phone_number_id", "recipient", "wamid", "tokens")
        if not isinstance(record["tokens"], int) or record["tokens"] <= 0:
            raise InvalidImportRecord(f"tokens {record['tokens']!r} must be a positive integer")
    elif kind in ACTIVITY_TYPES:
        _require(record, "billing_account")
        if kind == "wallet_topup":
            _require(record, "currency", "amount")
            if not isinstance(record["amount"], int):
                raise InvalidImportRecord("amount must be integer minor units (5000 = 50.00)")
    else:
        raise InvalidImportRecord(
            f"type {kind!r} is not one of webhook, meta_tokens, {', '.join(sorted(ACTIVITY_TYPES))}"
        )
    return record


def import_lines(
    runtime: Runtime,
    lines: list[str],
    *,
    first_line: int = 1,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    accepted = duplicates = 0
    rejected: list[dict[str, Any]] = []
    for start in range(0, len(lines), CHUNK):
        chunk = lines[start : start + CHUNK]
        a, d, r = _import_chunk(runtime, chunk, first_line + start)
        accepted, duplicates = accepted + a, duplicates + d
        rejected += r
        if on_progress is not None:
            on_progress(len(chunk))
    return {"accepted": accepted, "duplicates": duplicates, "rejected": rejected}


def _import_chunk(
    runtime: Runtime, chunk: list[str], first: int
) -> tuple[int, int, list[dict[str, Any]]]:
    rejected: list[dict[str, Any]] = []
    valid: list[tuple[int, dict[str, Any], Batch | None]] = []
    for offset, text in enumerate(chunk):
        line = first + offset
        if not text.strip():
            continue
        try:
            record = _parse_line(text)
            part = None
            if record["type"] == "webhook":
                part = Batch("", "import")
                part.add_body(record["body"])
            valid.append((line, record, part))
        except (InvalidImportRecord, InvalidWebhook) as error:
            rejected.append({"line": line, "error": {"code": error.code, "message": error.message}})
    valid = _known_wabas(runtime, valid, rejected)
    accepted, duplicates = _store_valid(runtime, valid, "\n".join(chunk))
    return accepted, duplicates, sorted(rejected, key=lambda r: r["line"])


def _wabas_of(record: dict[str, Any], part: Batch | None) -> set[str]:
    if part is not None:
        return part.waba_ids
    return {record["waba_id"]} if record.get("waba_id") else set()


def _known_wabas(
    runtime: Runtime,
    valid: list[tuple[int, dict[str, Any], Batch | None]],
    rejected: list[dict[str, Any]],
) -> list[tuple[int, dict[str, Any], Batch | None]]:
    wanted = set().union(*(_wabas_of(r, p) for _, r, p in valid)) if valid else set()
    with runtime.uow(readonly=True) as uow:
        known = {row["waba_id"] for row in uow.whatsapp.wabas(wanted)} if wanted else set()
        accounts = {row["id"] for row in uow.whatsapp.accounts()}
    kept = []
    for line, record, part in valid:
        unknown = sorted(_wabas_of(record, part) - known)
        error: TollhouseError | None = UnknownWaba(unknown[0]) if unknown else None
        account = record.get("billing_account")
        if error is None and account is not None and account not in accounts:
            from tollhouse.domain.whatsapp.errors import UnknownBillingAccount  # noqa: PLC0415

            error = UnknownBillingAccount(account)
        if error is not None:
            rejected.append({"line": line, "error": {"code": error.code, "message": error.message}})
        else:
            kept.append((line, record, part))
    return kept


def _store_valid(
    runtime: Runtime, valid: list[tuple[int, dict[str, Any], Batch | None]], raw: str
) -> tuple[int, int]:
    """Idempotency first (one row per key), then one batch for the new records."""
    if not valid:
        return 0, 0
    batch = Batch(raw, "import", dedupe_body=False)
    accepted = duplicates = 0
    with runtime.uow() as uow:
        by_waba = {row["waba_id"]: row["billing_account"] for row in uow.whatsapp.wabas()}
        for _, record, part in valid:
            account = record.get("billing_account") or by_waba.get(
                record.get("waba_id") or next(iter(_wabas_of(record, part)), ""), ""
            )
            at = (
                _instant(record["timestamp"])
                if record.get("timestamp")
                else datetime.fromisoformat(
                    record.get("received_at") or "1970-01-01T00:00:00+00:00"
                )
            )
            new = uow.whatsapp.add_activity(
                {
                    "idempotency_key": record["idempotency_key"],
                    "billing_account": account,
                    "type": record["type"],
                    "at": at.astimezone(UTC),
                    "payload": {k: v for k, v in record.items() if k != "body"},
                }
            )
            if not new:
                duplicates += 1
                continue
            accepted += 1
            _into_batch(batch, record, part, at)
            if record["type"] in ("number_onboarded", "number_removed"):
                _apply_number(uow, record, account, at)
        uow.commit()
    if batch.size:
        store(runtime, batch)
    return accepted, duplicates


def _into_batch(batch: Batch, record: dict[str, Any], part: Batch | None, at: datetime) -> None:
    if part is not None:
        batch.statuses += part.statuses
        batch.inbound += part.inbound
        batch.other += part.other
    elif record["type"] == "meta_tokens":
        batch.tokens.append(
            TokenUsage(
                record["waba_id"],
                str(record["phone_number_id"]),
                str(record["recipient"]),
                str(record["wamid"]),
                int(at.timestamp()),
                int(record["tokens"]),
            )
        )


def _apply_number(uow: Any, record: dict[str, Any], account: str, at: datetime) -> None:
    number = uow.whatsapp.number(str(record["phone_number_id"]))
    if record["type"] == "number_removed":
        if number is not None:
            uow.whatsapp.update_number(number["phone_number_id"], {"removed_at": at})
        return
    if number is None:
        wabas = uow.whatsapp.wabas(account=account)
        waba_id = record.get("waba_id") or (wabas[0]["waba_id"] if wabas else "")
        uow.whatsapp.add_number(
            {
                "phone_number_id": str(record["phone_number_id"]),
                "waba_id": waba_id,
                "billing_account": account,
                "display_phone_number": "",
                "plan": record.get("plan") or "regular",
                "onboarded_at": at,
                "removed_at": None,
            }
        )
    else:
        uow.whatsapp.update_number(
            number["phone_number_id"],
            {"plan": record.get("plan") or number["plan"], "removed_at": None},
        )


# ---- historical status files (CLI) -----------------------------------------------------------


def status_records(text: str, *, fmt: str) -> Iterable[dict[str, Any]]:
    """Rows of a CSV (``STATUS_COLUMNS``) or JSON-lines file of historical statuses."""
    if fmt == "csv":
        yield from csv.DictReader(io.StringIO(text))
        return
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


def import_statuses(
    runtime: Runtime,
    rows: list[dict[str, Any]],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Store and rate historical statuses in chunks; rating uses their own timestamps."""
    rejected: list[dict[str, Any]] = []
    totals: dict[str, Any] = {
        "statuses": 0,
        "stored": 0,
        "duplicates": 0,
        "charges": 0,
        "unrated": 0,
        "rejected": rejected,
    }
    for start in range(0, len(rows), CHUNK * 5):
        chunk = rows[start : start + CHUNK * 5]
        batch = Batch(json.dumps(chunk, sort_keys=True, default=str), "import")
        for offset, row in enumerate(chunk):
            try:
                batch.statuses.append(_status_row(row))
            except (InvalidWebhook, KeyError, ValueError) as error:
                rejected.append({"row": start + offset + 1, "error": str(error)})
        if batch.statuses:
            summary = store(runtime, batch)
            for key in ("statuses", "stored", "duplicates", "charges", "unrated"):
                totals[key] += summary[key]
        if on_progress is not None:
            on_progress(len(chunk))
    return totals


def _status_row(row: dict[str, Any]) -> Any:
    pricing = None
    if row.get("pricing_model") or row.get("category"):
        pricing = {
            "pricing_model": row.get("pricing_model") or None,
            "type": row.get("pricing_type") or None,
            "category": row.get("category"),
        }
    raw: dict[str, Any] = {
        "id": row["wamid"],
        "status": row["status"],
        "timestamp": row["timestamp"],
        "recipient_id": row.get("recipient_id", ""),
    }
    if row.get("conversation_id"):
        raw["conversation"] = {"id": row["conversation_id"]}
    if row.get("error_code"):
        raw["errors"] = [{"code": int(row["error_code"])}]
    status = parse_status(str(row["waba_id"]), str(row["phone_number_id"]), raw)
    if pricing is not None:
        status = status._replace(pricing=parse_pricing(pricing))
    return status


def tenant_for(account: str) -> str:
    return tenant_of(account)
