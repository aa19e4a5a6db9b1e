"""Tables of the whatsapp capability, on the shared metadata.

Instants of Meta events are stored as integer Unix seconds (``ts``): they arrive that way, the
ingest path never builds a datetime for them, and months are computed once, at rating time, in
the WABA's zone (``month``). Money: rates and exact amounts are ``ScaledDecimal(6)`` (micros),
budgets, top-ups and statement totals are integer minor units (D-1).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tollhouse.adapters.db.tables import metadata
from tollhouse.adapters.db.types import ScaledDecimal, UTCDateTime

wa_apps = Table(
    "wa_apps",
    metadata,
    Column("app_id", String(64), primary_key=True),
    Column("app_secret", String(256), nullable=False),
    Column("verify_token", String(256), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_accounts = Table(
    "wa_accounts",
    metadata,
    Column("id", String(64), primary_key=True),  # the billing account id ("acme")
    Column("tenant_id", String(120), nullable=False, unique=True),  # "whatsapp:acme"
    Column("name", String(200), nullable=False, default=""),
    Column("time_zone", String(64), nullable=True),  # NULL: that of its first WABA (R-ST-1)
    Column("currencies", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_wabas = Table(
    "wa_wabas",
    metadata,
    Column("waba_id", String(64), primary_key=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("app_id", String(64), nullable=True),
    Column("portfolio_id", String(64), nullable=False, default=""),
    Column("currency", String(3), nullable=False),
    Column("time_zone", String(64), nullable=False),
    Column("primary_location", String(2), nullable=True),
    Column("auth_intl", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_numbers = Table(
    "wa_numbers",
    metadata,
    Column("phone_number_id", String(64), primary_key=True),
    Column("waba_id", String(64), nullable=False, index=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("display_phone_number", String(32), nullable=False, default=""),
    Column("plan", String(32), nullable=False, default="regular"),
    Column("onboarded_at", UTCDateTime, nullable=False),
    Column("removed_at", UTCDateTime, nullable=True),
)

wa_webhook_bodies = Table(  # every accepted webhook body, raw, once (R-IN-2)
    "wa_webhook_bodies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("source", String(16), nullable=False),  # webhook | import
    Column("app_id", String(64), nullable=True),
    Column("items", Integer, nullable=False, default=0),
    Column("body", Text, nullable=False),
)

wa_statuses = Table(  # one row per (number, wamid, status): D-2
    "wa_statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_id", Integer, nullable=False),
    Column("billing_account", String(64), nullable=False),
    Column("waba_id", String(64), nullable=False),
    Column("phone_number_id", String(64), nullable=False),
    Column("wamid", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("recipient", String(32), nullable=False, default=""),
    Column("pricing_model", String(8), nullable=True),
    Column("pricing_type", String(40), nullable=True),
    Column("category", String(64), nullable=True),
    Column("conversation_id", String(128), nullable=True),
    Column("error_code", Integer, nullable=True),
    UniqueConstraint("phone_number_id", "wamid", "status", name="uq_wa_statuses_key"),
    Index("ix_wa_statuses_account_ts", "billing_account", "ts"),
    Index("ix_wa_statuses_thread", "phone_number_id", "recipient", "ts"),  # R-IN-5 timelines
)

wa_inbound = Table(  # inbound user messages: CSW/FEP state and inbound BSP fees (R-IN-3)
    "wa_inbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_id", Integer, nullable=False),
    Column("billing_account", String(64), nullable=False),
    Column("waba_id", String(64), nullable=False),
    Column("phone_number_id", String(64), nullable=False),
    Column("wamid", String(255), nullable=False),
    Column("sender", String(32), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("type", String(32), nullable=False, default=""),
    Column("referral", String(16), nullable=True),
    UniqueConstraint("phone_number_id", "wamid", name="uq_wa_inbound_key"),
    Index("ix_wa_inbound_account_ts", "billing_account", "ts"),
    Index("ix_wa_inbound_thread", "phone_number_id", "sender", "ts"),  # R-IN-5 timelines
)

wa_other_events = Table(  # tier updates, template category changes, unknown fields (R-IN-1)
    "wa_other_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe", String(64), nullable=False, unique=True),
    Column("body_id", Integer, nullable=False),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("waba_id", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    Column("ts", BigInteger, nullable=True),
    Column("payload", JSON, nullable=False),
)

wa_charges = Table(  # the ledger: never updated; corrections are new rows (R-RT-4)
    "wa_charges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("billing_account", String(64), nullable=False),
    Column("waba_id", String(64), nullable=False),
    Column("charge_key", String(255), nullable=False),
    Column("phone_number_id", String(64), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("month", String(7), nullable=False),  # local month of the charge time (R-ST-1)
    Column("billed_month", String(7), nullable=False),  # the statement it is on (D-5)
    Column("model", String(8), nullable=False),
    Column("country", String(2), nullable=False),
    Column("market", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("pricing_type", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # rated | free | unrated
    Column("currency", String(3), nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_rate", ScaledDecimal(6), nullable=True),
    Column("amount", ScaledDecimal(6), nullable=True),
    Column("tier", String(40), nullable=True),
    Column("card_version", String(32), nullable=True),
    Column("reason", Text, nullable=True),
    Column("adjusts", Integer, nullable=True),  # id of the charge a re-rating corrects (R-RT-4)
    UniqueConstraint("waba_id", "charge_key", name="uq_wa_charges_key"),
    Index("ix_wa_charges_account_month", "billing_account", "billed_month"),
    Index("ix_wa_charges_waba_ts", "waba_id", "ts"),
)

wa_rate_cards = Table(  # versioned, immutable imports (R-RC-5)
    "wa_rate_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(32), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # rates | markets
    Column("content", Text, nullable=False),
    Column("currencies", JSON, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
)

wa_fee_plans = Table(
    "wa_fee_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("effective_from", String(7), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_activity = Table(  # §4.10 import records other than webhooks, each once (R-IN-4)
    "wa_activity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("type", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
)

wa_statements = Table(  # final statements only; drafts are computed (R-ST-3)
    "wa_statements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("billing_account", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("month", String(7), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
    UniqueConstraint("billing_account", "currency", "month", name="uq_wa_statements_key"),
)

wa_budgets = Table(
    "wa_budgets",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("scope_type", String(32), nullable=False),
    Column("scope_id", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("thresholds", JSON, nullable=False),
    Column("basis", String(8), nullable=False),
    Column("forecast", Boolean, nullable=False, default=False),
    Column("hard_limit", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_alerts = Table(  # one row per alert that fired: the unique key makes it fire once
    "wa_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe", String(255), nullable=False, unique=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
)

wa_alert_hooks = Table(
    "wa_alert_hooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("secret", String(256), nullable=False),
    Column("events", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

wa_reservations = Table(  # wallet holds of pre-send estimates (R-BUD-4, R-RT-3)
    "wa_reservations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("billing_account", String(64), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("amount", ScaledDecimal(6), nullable=False),  # the estimate's exact amount
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime, nullable=True),
    Column("payload", JSON, nullable=False),
)

wa_rejections = Table(  # refused webhooks: logged, never stored (§8)
    "wa_rejections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("code", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
)

__all__ = ["metadata"]
