"""Tables of the editions capability (spec app-editions), on the shared metadata.

Money is integer fen (BIGINT); exact term values V are `ScaledDecimal(6)` fen; instants are
aware UTC. A vendor is one tenant (`editions:<vendor_id>`); every app row names its tenant.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tollhouse.adapters.db.tables import metadata
from tollhouse.adapters.db.types import ScaledDecimal, UTCDateTime

editions_vendors = Table(
    "editions_vendors",
    metadata,
    Column("vendor_id", String(64), primary_key=True),  # the vendor's WeCom corpid by convention
    Column("tenant_id", String(120), ForeignKey("tenants.id"), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("settings", JSON, nullable=False),  # EditionSettings overrides (D2, D8, D10, …)
    Column("created_at", UTCDateTime, nullable=False),
)

editions_suites = Table(
    "editions_suites",
    metadata,
    Column("suite_id", String(64), primary_key=True),
    Column(
        "vendor_id",
        String(64),
        ForeignKey("editions_vendors.vendor_id"),
        nullable=False,
        index=True,
    ),
    Column("suite_secret", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

editions_suite_tokens = Table(
    "editions_suite_tokens",
    metadata,
    Column("token", String(128), primary_key=True),
    Column(
        "suite_id", String(64), ForeignKey("editions_suites.suite_id"), nullable=False, index=True
    ),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

editions_apps = Table(  # one app = one suite (template) authorised by one corp (AE1)
    "editions_apps",
    metadata,
    Column("app_id", String(160), primary_key=True),
    Column("vendor_id", String(64), ForeignKey("editions_vendors.vendor_id"), nullable=False),
    Column("tenant_id", String(120), nullable=False),
    Column("suite_id", String(64), nullable=False),
    Column("corpid", String(64), nullable=False),
    Column("corp_name", String(200), nullable=False, default=""),
    Column("corp_tenant_id", String(120), nullable=False),  # keys of the corp's admin
    Column("strategy_version", Integer, nullable=True),  # the version in force
    Column("go_live", UTCDateTime, nullable=True),
    Column("trial", JSON, nullable=True),  # windows, trial_days, prolonged, extra (AE4–AE7)
    Column("ever_paid", Boolean, nullable=False, default=False),
    Column("active_users", Integer, nullable=True),
    Column("over_since", UTCDateTime, nullable=True),
    Column("plan_version", Integer, nullable=False, default=0),  # optimistic check (re-quote)
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("suite_id", "corpid", name="uq_editions_apps_suite_corp"),
    Index("ix_editions_apps_vendor", "vendor_id"),
)

editions_strategies = Table(  # every saved version (AE2, D28)
    "editions_strategies",
    metadata,
    Column("app_id", String(160), ForeignKey("editions_apps.app_id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
)

editions_terms = Table(
    "editions_terms",
    metadata,
    Column("term_id", String(64), primary_key=True),
    Column("app_id", String(160), ForeignKey("editions_apps.app_id"), nullable=False, index=True),
    Column("order_id", String(64), nullable=False),
    Column("edition_id", String(64), nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("cycles", Integer, nullable=False),
    Column("purchased_days", Integer, nullable=False),
    Column("bonus_days", Integer, nullable=False),
    Column("begin", UTCDateTime, nullable=False),
    Column("value", ScaledDecimal(6), nullable=False),  # V, exact fen (AE29)
    Column("vendor_priced", Boolean, nullable=False, default=False),
)

editions_orders = Table(
    "editions_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("app_id", String(160), ForeignKey("editions_apps.app_id"), nullable=False),
    Column("vendor_id", String(64), nullable=False),
    Column("order_type", Integer, nullable=False),  # 0–3 (AE31)
    Column("status", String(20), nullable=False),  # OrderStatus value (AE32)
    Column("edition_id", String(64), nullable=False),
    Column("edition_name", String(200), nullable=False, default=""),
    Column("headcount", Integer, nullable=False),
    Column("previous_headcount", Integer, nullable=False, default=0),
    Column("cycles", Integer, nullable=False, default=0),
    Column("amount_fen", BigInteger, nullable=False),
    Column("order_period", Integer, nullable=False),
    Column("gift_duration_days", Integer, nullable=False, default=0),
    Column("strategy_version", Integer, nullable=True),
    Column("plan_version", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime, nullable=True),
    Column("pay_channel", Integer, nullable=True),
    Column("channel_order_id", String(128), nullable=True),
    Column("begin_time", UTCDateTime, nullable=True),
    Column("end_time", UTCDateTime, nullable=True),
    Column("lines", JSON, nullable=False),
    Column("quote", JSON, nullable=False),  # the P4 breakdown the price was fixed from
    Column("replaced_terms", JSON, nullable=False),  # plan changes: terms before payment
    Column("order_from", Integer, nullable=False, default=0),  # 0 corp, 1 vendor (cashier)
    Column("creator", String(64), nullable=False, default=""),
    Column("pay_type", Integer, nullable=False, default=0),
    Column("cashier", JSON, nullable=True),  # paytool/open_order lines (D26)
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("refund_reason", Text, nullable=True),
    Column("refund_requested_at", UTCDateTime, nullable=True),
    Column("refund_decided_at", UTCDateTime, nullable=True),
    Column("refund_note", Text, nullable=True),
    Index("ix_editions_orders_app_created", "app_id", "created_at"),
    Index("ix_editions_orders_vendor_created", "vendor_id", "created_at"),
)

editions_invoices = Table(
    "editions_invoices",
    metadata,
    Column("invoice_id", String(64), primary_key=True),
    Column(
        "order_id", String(64), ForeignKey("editions_orders.order_id"), nullable=False, index=True
    ),
    Column("invoice_type", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("tax_id", String(64), nullable=False, default=""),
    Column("details", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("note", Text, nullable=True),
)

editions_complaints = Table(
    "editions_complaints",
    metadata,
    Column("complaint_id", String(64), primary_key=True),
    Column(
        "order_id", String(64), ForeignKey("editions_orders.order_id"), nullable=False, index=True
    ),
    Column("app_id", String(160), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

editions_nonces = Table(  # paytool signing: a nonce_str is unique within 15 minutes (§4.1)
    "editions_nonces",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False),
)

__all__ = [
    "editions_apps",
    "editions_complaints",
    "editions_invoices",
    "editions_nonces",
    "editions_orders",
    "editions_strategies",
    "editions_suite_tokens",
    "editions_suites",
    "editions_terms",
    "editions_vendors",
    "metadata",
]
