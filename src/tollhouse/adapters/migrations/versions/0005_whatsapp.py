"""whatsapp tables

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tollhouse.adapters.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wa_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("currencies", sa.JSON(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_accounts")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_wa_accounts_tenant_id")),
    )
    op.create_table(
        "wa_activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_activity")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_wa_activity_idempotency_key")),
    )
    op.create_index(
        op.f("ix_wa_activity_billing_account"), "wa_activity", ["billing_account"], unique=False
    )
    op.create_table(
        "wa_alert_hooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=256), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_alert_hooks")),
    )
    op.create_index(
        op.f("ix_wa_alert_hooks_billing_account"),
        "wa_alert_hooks",
        ["billing_account"],
        unique=False,
    )
    op.create_table(
        "wa_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe", sa.String(length=255), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_alerts")),
        sa.UniqueConstraint("dedupe", name=op.f("uq_wa_alerts_dedupe")),
    )
    op.create_index(
        op.f("ix_wa_alerts_billing_account"), "wa_alerts", ["billing_account"], unique=False
    )
    op.create_table(
        "wa_apps",
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("app_secret", sa.String(length=256), nullable=False),
        sa.Column("verify_token", sa.String(length=256), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("app_id", name=op.f("pk_wa_apps")),
    )
    op.create_table(
        "wa_budgets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("scope_type", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("forecast", sa.Boolean(), nullable=False),
        sa.Column("hard_limit", sa.Boolean(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_budgets")),
    )
    op.create_index(
        op.f("ix_wa_budgets_billing_account"), "wa_budgets", ["billing_account"], unique=False
    )
    op.create_table(
        "wa_charges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("charge_key", sa.String(length=255), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("billed_month", sa.String(length=7), nullable=False),
        sa.Column("model", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("market", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("pricing_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_rate", tollhouse.adapters.db.types.ScaledDecimal(scale=6), nullable=True),
        sa.Column("amount", tollhouse.adapters.db.types.ScaledDecimal(scale=6), nullable=True),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("card_version", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("adjusts", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_charges")),
        sa.UniqueConstraint("waba_id", "charge_key", name="uq_wa_charges_key"),
    )
    op.create_index(
        "ix_wa_charges_account_month",
        "wa_charges",
        ["billing_account", "billed_month"],
        unique=False,
    )
    op.create_index("ix_wa_charges_waba_ts", "wa_charges", ["waba_id", "ts"], unique=False)
    op.create_table(
        "wa_fee_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.String(length=7), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_fee_plans")),
    )
    op.create_index(
        op.f("ix_wa_fee_plans_billing_account"), "wa_fee_plans", ["billing_account"], unique=False
    )
    op.create_table(
        "wa_inbound",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("referral", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_inbound")),
        sa.UniqueConstraint("phone_number_id", "wamid", name="uq_wa_inbound_key"),
    )
    op.create_index(
        "ix_wa_inbound_account_ts", "wa_inbound", ["billing_account", "ts"], unique=False
    )
    op.create_index(
        "ix_wa_inbound_thread", "wa_inbound", ["phone_number_id", "sender", "ts"], unique=False
    )
    op.create_table(
        "wa_numbers",
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("display_phone_number", sa.String(length=32), nullable=False),
        sa.Column("plan", sa.String(length=32), nullable=False),
        sa.Column("onboarded_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("removed_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("phone_number_id", name=op.f("pk_wa_numbers")),
    )
    op.create_index(
        op.f("ix_wa_numbers_billing_account"), "wa_numbers", ["billing_account"], unique=False
    )
    op.create_index(op.f("ix_wa_numbers_waba_id"), "wa_numbers", ["waba_id"], unique=False)
    op.create_table(
        "wa_other_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe", sa.String(length=64), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_other_events")),
        sa.UniqueConstraint("dedupe", name=op.f("uq_wa_other_events_dedupe")),
    )
    op.create_index(
        op.f("ix_wa_other_events_billing_account"),
        "wa_other_events",
        ["billing_account"],
        unique=False,
    )
    op.create_table(
        "wa_rate_cards",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("currencies", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_rate_cards")),
        sa.UniqueConstraint("version", name=op.f("uq_wa_rate_cards_version")),
    )
    op.create_table(
        "wa_rejections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_rejections")),
    )
    op.create_table(
        "wa_statements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("issued_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_statements")),
        sa.UniqueConstraint("billing_account", "currency", "month", name="uq_wa_statements_key"),
    )
    op.create_table(
        "wa_statuses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("phone_number_id", sa.String(length=64), nullable=False),
        sa.Column("wamid", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        sa.Column("recipient", sa.String(length=32), nullable=False),
        sa.Column("pricing_model", sa.String(length=8), nullable=True),
        sa.Column("pricing_type", sa.String(length=40), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_statuses")),
        sa.UniqueConstraint("phone_number_id", "wamid", "status", name="uq_wa_statuses_key"),
    )
    op.create_index(
        "ix_wa_statuses_account_ts", "wa_statuses", ["billing_account", "ts"], unique=False
    )
    op.create_index(
        "ix_wa_statuses_thread", "wa_statuses", ["phone_number_id", "recipient", "ts"], unique=False
    )
    op.create_table(
        "wa_wabas",
        sa.Column("waba_id", sa.String(length=64), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=True),
        sa.Column("portfolio_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("primary_location", sa.String(length=2), nullable=True),
        sa.Column("auth_intl", sa.JSON(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("waba_id", name=op.f("pk_wa_wabas")),
    )
    op.create_index(
        op.f("ix_wa_wabas_billing_account"), "wa_wabas", ["billing_account"], unique=False
    )
    op.create_table(
        "wa_reservations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("billing_account", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", tollhouse.adapters.db.types.ScaledDecimal(scale=6), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("released_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_reservations")),
    )
    op.create_index(
        op.f("ix_wa_reservations_billing_account"),
        "wa_reservations",
        ["billing_account"],
        unique=False,
    )
    op.create_table(
        "wa_webhook_bodies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wa_webhook_bodies")),
        sa.UniqueConstraint("sha256", name=op.f("uq_wa_webhook_bodies_sha256")),
    )


def downgrade() -> None:
    op.drop_table("wa_webhook_bodies")
    op.drop_table("wa_reservations")
    op.drop_table("wa_wabas")
    op.drop_table("wa_statuses")
    op.drop_table("wa_statements")
    op.drop_table("wa_rejections")
    op.drop_table("wa_rate_cards")
    op.drop_table("wa_other_events")
    op.drop_table("wa_numbers")
    op.drop_table("wa_inbound")
    op.drop_table("wa_fee_plans")
    op.drop_table("wa_charges")
    op.drop_table("wa_budgets")
    op.drop_table("wa_apps")
    op.drop_table("wa_alerts")
    op.drop_table("wa_alert_hooks")
    op.drop_table("wa_activity")
    op.drop_table("wa_accounts")
