"""Every table of Tollhouse on one MetaData; capability modules add theirs to it."""

from __future__ import annotations

from sqlalchemy import MetaData

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# The tables below belong to the foundation (tenants, credentials, clocks, events, scheduling)
# and to WeCom licences. Other capabilities declare theirs in their own modules on `metadata`.

from sqlalchemy import (  # noqa: E402 - metadata must exist before capability modules import it
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

from tollhouse.adapters.db.types import UTCDateTime  # noqa: E402

tenants = Table(
    "tenants",
    metadata,
    Column("id", String(120), primary_key=True),  # "wecom:<provider corpid>", "wechat:<appid>", …
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("sandbox", Boolean, nullable=False, default=False),
    Column("clock_now", UTCDateTime, nullable=True),  # the test clock; NULL for production
    Column("has_activity", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("tenant_id", String(120), ForeignKey("tenants.id"), nullable=True),  # NULL = operator
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(160), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", String(120), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("dedupe_key", String(255), nullable=True, unique=True),
    Column("target_url", Text, nullable=True),
    Column("content_type", String(64), nullable=True),
    Column("body", Text, nullable=True),
    Column("delivery_status", String(16), nullable=False),  # feed_only|pending|delivered|failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("delivered_at", UTCDateTime, nullable=True),
    Index("ix_events_tenant_id_id", "tenant_id", "id"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("ok", Boolean, nullable=False),
    Column("response_body", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False, default=0),
)

due_tasks = Table(
    "due_tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", String(120), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("dedupe_key", String(255), nullable=True, unique=True),
    Column("done_at", UTCDateTime, nullable=True),
    Index("ix_due_tasks_pending", "done_at", "tenant_id", "due_at"),
)

# --- WeCom tenants ------------------------------------------------------------------------------

wecom_providers = Table(
    "wecom_providers",
    metadata,
    Column("corpid", String(64), primary_key=True),
    Column("tenant_id", String(120), ForeignKey("tenants.id"), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("provider_secret", String(128), nullable=False),
    Column("callback_url", Text, nullable=True),
    Column("callback_token", String(64), nullable=True),
    Column("encoding_aes_key", String(64), nullable=True),
    Column("balance_fen", BigInteger, nullable=True),  # NULL = balance account not opened
    Column("single_payment_limit_fen", BigInteger, nullable=True),
    Column("settings", JSON, nullable=False),  # pricing tables, TTLs, switches (§3, §5)
    Column("created_at", UTCDateTime, nullable=False),
)

wecom_admins = Table(
    "wecom_admins",
    metadata,
    Column("provider_corpid", String(64), ForeignKey("wecom_providers.corpid"), primary_key=True),
    Column("userid", String(64), primary_key=True),
    Column("can_purchase", Boolean, nullable=False, default=True),
)

provider_tokens = Table(
    "provider_tokens",
    metadata,
    Column("token", String(128), primary_key=True),
    Column(
        "provider_corpid",
        String(64),
        ForeignKey("wecom_providers.corpid"),
        nullable=False,
        index=True,
    ),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

wecom_corps = Table(
    "wecom_corps",
    metadata,
    Column("provider_corpid", String(64), ForeignKey("wecom_providers.corpid"), primary_key=True),
    Column("corpid", String(64), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("is_test", Boolean, nullable=False, default=False),
    Column("auto_active_status", Integer, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
)

wecom_members = Table(
    "wecom_members",
    metadata,
    Column("provider_corpid", String(64), primary_key=True),
    Column("corpid", String(64), primary_key=True),
    Column("userid", String(64), primary_key=True),
    Column("name", String(200), nullable=False, default=""),
    Column("in_service", Boolean, nullable=False, default=True),
    Column("visible", Boolean, nullable=False, default=True),
)

wecom_installs = Table(
    "wecom_installs",
    metadata,
    Column("provider_corpid", String(64), primary_key=True),
    Column("corpid", String(64), primary_key=True),
    Column("suite_id", String(64), primary_key=True),
    Column("first_install_time", UTCDateTime, nullable=False),
    Column("installed", Boolean, nullable=False, default=True),
    Column("license_status", Integer, nullable=False, default=1),
    Column("license_check_time", UTCDateTime, nullable=True),  # NULL = trial end (L58)
    Column("has_trial", Boolean, nullable=False, default=True),
    Column("agentid", Integer, nullable=False, default=1000001),
)

wecom_corp_links = Table(
    "wecom_corp_links",
    metadata,
    Column("provider_corpid", String(64), primary_key=True),
    Column("up_corpid", String(64), primary_key=True),
    Column("down_corpid", String(64), primary_key=True),
    Column("link_type", Integer, nullable=False, default=0),
    Column("app_shared", Boolean, nullable=False, default=True),
    Column("headcount", Integer, nullable=False, default=0),
)

licence_orders = Table(
    "licence_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("provider_corpid", String(64), nullable=False),
    Column("corpid", String(64), nullable=True),  # NULL for a multi-corp parent
    Column("order_type", Integer, nullable=False),
    Column("status", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),  # fen (L12)
    Column("base_count", Integer, nullable=False, default=0),
    Column("interop_count", Integer, nullable=False, default=0),
    Column("months", Integer, nullable=False, default=0),
    Column("days", Integer, nullable=False, default=0),
    Column("new_expire_time", UTCDateTime, nullable=True),
    Column("create_time", UTCDateTime, nullable=False),
    Column("pay_time", UTCDateTime, nullable=True),
    Column("buyer_userid", String(64), nullable=False),
    Column("parent_order_id", String(64), nullable=True, index=True),
    Column("test_corp", Boolean, nullable=False, default=False),
    Column("payment_method", String(16), nullable=True),
    Column("lines", JSON, nullable=False),
    Column("unpaid_ttl_days", Integer, nullable=False, default=7),
    Index("ix_licence_orders_provider_created", "provider_corpid", "create_time"),
    Index("ix_licence_orders_provider_corp", "provider_corpid", "corpid", "status"),
)

licence_order_accounts = Table(  # renewal orders: who is renewed, for how many days (L24, L73)
    "licence_order_accounts",
    metadata,
    Column("order_id", String(64), ForeignKey("licence_orders.order_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("userid", String(64), nullable=False),
    Column("type", Integer, nullable=False),
    Column("days", Integer, nullable=False),
    Column("active_code", String(64), nullable=True),
)

licence_jobs = Table(
    "licence_jobs",
    metadata,
    Column("jobid", String(64), primary_key=True),
    Column("provider_corpid", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # renew | multi | pay
    Column("corpid", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=True),
    Column("order_id", String(64), nullable=True),
    Column("status", Integer, nullable=False, default=2),
    Column("result", JSON, nullable=False),
)

licence_job_items = Table(
    "licence_job_items",
    metadata,
    Column("jobid", String(64), ForeignKey("licence_jobs.jobid"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("key", String(160), nullable=False),  # "userid|type" or corpid; unique per job
    Column("item", JSON, nullable=False),
    UniqueConstraint("jobid", "key", name="uq_licence_job_items_jobid_key"),
)

activation_codes = Table(
    "activation_codes",
    metadata,
    Column("active_code", String(64), primary_key=True),
    Column("provider_corpid", String(64), nullable=False),
    Column("order_id", String(64), nullable=False, index=True),
    Column("owner_corpid", String(64), nullable=False),
    Column("type", Integer, nullable=False),
    Column("duration_days", Integer, nullable=False),
    Column("create_time", UTCDateTime, nullable=False),
    Column("userid", String(64), nullable=True),
    Column("bound_corpid", String(64), nullable=True),
    Column("active_time", UTCDateTime, nullable=True),
    Column("expire_time", UTCDateTime, nullable=True),
    Column("merged_into", String(64), nullable=True),
    Column("merged_from", String(64), nullable=True),
    Column("shared_to", String(64), nullable=True),
    Column("awaiting_transfer", Boolean, nullable=False, default=False),
    Column("invalidated", Boolean, nullable=False, default=False),
    Column("last_in_service_transfer_at", UTCDateTime, nullable=True),
    Column("expiring_reminder_for", UTCDateTime, nullable=True),
    Index("ix_activation_codes_owner", "provider_corpid", "owner_corpid", "type"),
    Index("ix_activation_codes_member", "provider_corpid", "bound_corpid", "userid"),
    Index("ix_activation_codes_expiry", "provider_corpid", "expire_time"),
)

reseller_profiles = Table(
    "reseller_profiles",
    metadata,
    Column("provider_corpid", String(64), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("config", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
