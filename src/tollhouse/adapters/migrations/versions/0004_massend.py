"""massend tables: WeChat accounts, tokens, followers, tags, period counters, jobs, quota counter

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import tollhouse.adapters.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_account_period",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "kind", "period", name=op.f("pk_wechat_account_period")),
    )
    op.create_table(
        "wechat_accounts",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.String(length=120), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("original_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("next_ordinal", sa.Integer(), nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.Column("next_tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("appid", name=op.f("pk_wechat_accounts")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_wechat_accounts_tenant_id")),
    )
    op.create_table(
        "wechat_clientmsgid",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("clientmsgid", sa.String(length=128), nullable=False),
        sa.Column("msg_id", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "clientmsgid", name=op.f("pk_wechat_clientmsgid")),
    )
    op.create_table(
        "wechat_follower_tags",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("appid", "tag_id", "openid", name=op.f("pk_wechat_follower_tags")),
    )
    op.create_index(
        "ix_wechat_follower_tags_openid", "wechat_follower_tags", ["appid", "openid"], unique=False
    )
    op.create_table(
        "wechat_followers",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("wxname", sa.String(length=64), nullable=True),
        sa.Column("subscribed", sa.Boolean(), nullable=False),
        sa.Column("subscribed_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("unsubscribed_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("receive_off", sa.Boolean(), nullable=False),
        sa.Column("delivery_fault", sa.Boolean(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("appid", "openid", name=op.f("pk_wechat_followers")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_wechat_followers_appid_seq", "wechat_followers", ["appid", "seq"], unique=False
    )
    op.create_index(
        "ix_wechat_followers_appid_wxname", "wechat_followers", ["appid", "wxname"], unique=False
    )
    op.create_index(
        "ix_wechat_followers_lookup",
        "wechat_followers",
        ["appid", "openid", "ordinal", "subscribed", "receive_off", "delivery_fault"],
        unique=False,
    )
    op.create_index(
        "ux_wechat_followers_appid_ordinal", "wechat_followers", ["appid", "ordinal"], unique=True
    )
    op.create_table(
        "wechat_jobs",
        sa.Column("msg_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("target_kind", sa.String(length=8), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=True),
        sa.Column("openids", sa.JSON(), nullable=True),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("msgtype", sa.String(length=16), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("send_ignore_reprint", sa.Integer(), nullable=False),
        sa.Column("clientmsgid", sa.String(length=128), nullable=True),
        sa.Column("submitted_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("timeline", sa.JSON(), nullable=False),
        sa.Column("reserved", sa.JSON(), nullable=False),
        sa.Column("dispatch_token", sa.String(length=32), nullable=False),
        sa.Column("charge_month", sa.String(length=7), nullable=True),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("filter_count", sa.Integer(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("filtered", sa.JSON(), nullable=False),
        sa.Column("review_error", sa.Integer(), nullable=True),
        sa.Column("deleted_articles", sa.JSON(), nullable=False),
        sa.Column("msg_data_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_wechat_jobs")),
    )
    op.create_index("ix_wechat_jobs_appid_state", "wechat_jobs", ["appid", "state"], unique=False)
    op.create_index(
        "ix_wechat_jobs_appid_submitted", "wechat_jobs", ["appid", "submitted_at"], unique=False
    )
    op.create_table(
        "wechat_quota_applied",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("refused", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("account", "month", "key", name=op.f("pk_wechat_quota_applied")),
    )
    op.create_table(
        "wechat_quota_bucket",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account", "month", name=op.f("pk_wechat_quota_bucket")),
    )
    op.create_table(
        "wechat_quota_shard",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("counts", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("account", "month", "shard", name=op.f("pk_wechat_quota_shard")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # counts are incompressible churn: keep them out of TOAST compression (adapters/counters/sql.py)
        op.execute("ALTER TABLE wechat_quota_shard ALTER COLUMN counts SET STORAGE EXTERNAL")
    op.create_table(
        "wechat_sequence",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_wechat_sequence")),
    )
    op.create_table(
        "wechat_tags",
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("appid", "tag_id", name=op.f("pk_wechat_tags")),
    )
    op.create_table(
        "wechat_tokens",
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("appid", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("funcscope", sa.JSON(), nullable=False),
        sa.Column("issued_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("superseded_at", tollhouse.adapters.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_wechat_tokens")),
    )
    op.create_index(
        "ix_wechat_tokens_appid_channel", "wechat_tokens", ["appid", "channel"], unique=False
    )
    op.execute("INSERT INTO wechat_sequence (name, value) VALUES ('msg_id', 1000000000)")


def downgrade() -> None:
    op.drop_index("ix_wechat_tokens_appid_channel", table_name="wechat_tokens")
    op.drop_table("wechat_tokens")
    op.drop_table("wechat_tags")
    op.drop_table("wechat_sequence")
    op.drop_table("wechat_quota_shard")
    op.drop_table("wechat_quota_bucket")
    op.drop_table("wechat_quota_applied")
    op.drop_index("ix_wechat_jobs_appid_submitted", table_name="wechat_jobs")
    op.drop_index("ix_wechat_jobs_appid_state", table_name="wechat_jobs")
    op.drop_table("wechat_jobs")
    op.drop_index("ux_wechat_followers_appid_ordinal", table_name="wechat_followers")
    op.drop_index("ix_wechat_followers_lookup", table_name="wechat_followers")
    op.drop_index("ix_wechat_followers_appid_wxname", table_name="wechat_followers")
    op.drop_index("ix_wechat_followers_appid_seq", table_name="wechat_followers")
    op.drop_table("wechat_followers")
    op.drop_index("ix_wechat_follower_tags_openid", table_name="wechat_follower_tags")
    op.drop_table("wechat_follower_tags")
    op.drop_table("wechat_clientmsgid")
    op.drop_table("wechat_accounts")
    op.drop_table("wechat_account_period")
