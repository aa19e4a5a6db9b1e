"""Tables of the massend capability (WeChat Official Account mass send), on the shared metadata.

The per-follower monthly counters live in the quota counter's own tables
(``adapters/counters/sql.py``: ``wechat_quota_bucket``, ``wechat_quota_shard``,
``wechat_quota_applied``), keyed by the follower's dense ordinal; the tables below hold
accounts, tokens, followers, tags, account-level period counters (§6.2
``wechat_account_period``), clientmsgid registrations and jobs.
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
)

from tollhouse.adapters.db.tables import metadata
from tollhouse.adapters.db.types import UTCDateTime

wechat_accounts = Table(
    "wechat_accounts",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("tenant_id", String(120), nullable=False, unique=True),  # "wechat:<appid>"
    Column("secret", String(64), nullable=False),
    Column("original_id", String(32), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("type", String(16), nullable=False),  # service | subscription
    Column("verified", Boolean, nullable=False, default=True),
    Column("settings", JSON, nullable=False),  # overrides of the §4.6 defaults
    Column("next_ordinal", Integer, nullable=False, default=0),  # dense follower ordinals
    Column("next_seq", BigInteger, nullable=False, default=0),  # subscription order (§5.5)
    Column("next_tag_id", Integer, nullable=False, default=100),
    Column("created_at", UTCDateTime, nullable=False),
)

wechat_tokens = Table(
    "wechat_tokens",
    metadata,
    Column("token", String(128), primary_key=True),
    Column("appid", String(32), nullable=False),
    Column("channel", String(80), nullable=False),  # api | api:isv:<component_appid>
    Column("funcscope", JSON, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("superseded_at", UTCDateTime, nullable=True),  # valid 5 more minutes (M24)
    Index("ix_wechat_tokens_appid_channel", "appid", "channel"),
)

wechat_followers = Table(
    "wechat_followers",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("openid", String(64), primary_key=True),
    Column("ordinal", Integer, nullable=False),  # dense per account: the counter index
    Column("seq", BigInteger, nullable=False),  # position in the subscription order
    Column("wxname", String(64), nullable=True),
    Column("subscribed", Boolean, nullable=False, default=True),
    Column("subscribed_at", UTCDateTime, nullable=True),
    Column("unsubscribed_at", UTCDateTime, nullable=True),
    Column("receive_off", Boolean, nullable=False, default=False),
    Column("delivery_fault", Boolean, nullable=False, default=False),
    Column("history", JSON, nullable=False),  # state changes [{at, change}]
    Index("ux_wechat_followers_appid_ordinal", "appid", "ordinal", unique=True),
    Index("ix_wechat_followers_appid_seq", "appid", "seq"),
    Index("ix_wechat_followers_appid_wxname", "appid", "wxname"),
    # covering index of the 10,000-OpenID lookup: reads no `history` JSON (§6 hot path)
    Index(
        "ix_wechat_followers_lookup",
        "appid",
        "openid",
        "ordinal",
        "subscribed",
        "receive_off",
        "delivery_fault",
    ),
    sqlite_with_rowid=False,  # 10,000-id lookups read the primary key only (§6 hot path)
)

wechat_tags = Table(
    "wechat_tags",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("tag_id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
)

wechat_follower_tags = Table(
    "wechat_follower_tags",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("tag_id", Integer, primary_key=True),
    Column("openid", String(64), primary_key=True),
    Index("ix_wechat_follower_tags_openid", "appid", "openid"),
)

wechat_account_period = Table(  # §6.2: hist_m, hist_d, sub_d, api:<path>, rpm, clear_quota, …
    "wechat_account_period",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("kind", String(80), primary_key=True),
    Column("period", String(16), primary_key=True),  # local label: month, day or minute
    Column("used", Integer, nullable=False, default=0),
)

wechat_clientmsgid = Table(
    "wechat_clientmsgid",
    metadata,
    Column("appid", String(32), primary_key=True),
    Column("clientmsgid", String(128), primary_key=True),
    Column("msg_id", BigInteger, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
)

wechat_sequence = Table(  # msg_id values, increasing across the engine (§5.1)
    "wechat_sequence",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

wechat_jobs = Table(
    "wechat_jobs",
    metadata,
    Column("msg_id", BigInteger, primary_key=True, autoincrement=False),
    Column("appid", String(32), nullable=False),
    Column("channel", String(80), nullable=False),
    Column("target_kind", String(8), nullable=False),  # all | tag | openids
    Column("tag_id", Integer, nullable=True),
    Column("openids", JSON, nullable=True),  # kept only while dispatch is pending
    Column("scope", String(80), nullable=False),
    Column("msgtype", String(16), nullable=False),
    Column("message", JSON, nullable=False),
    Column("send_ignore_reprint", Integer, nullable=False, default=0),
    Column("clientmsgid", String(128), nullable=True),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("state", String(24), nullable=False),
    Column("timeline", JSON, nullable=False),
    Column("reserved", JSON, nullable=False),  # [[counter, period], …] (D5, D6, D9)
    Column("dispatch_token", String(32), nullable=False),  # counter idempotency keys (S3)
    Column("charge_month", String(7), nullable=True),
    Column("total_count", Integer, nullable=False, default=0),
    Column("filter_count", Integer, nullable=False, default=0),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("error_count", Integer, nullable=False, default=0),
    Column("filtered", JSON, nullable=False),  # reason → [openid, …] (D3)
    Column("review_error", Integer, nullable=True),
    Column("deleted_articles", JSON, nullable=False),
    Column("msg_data_id", BigInteger, nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_wechat_jobs_appid_submitted", "appid", "submitted_at"),
    Index("ix_wechat_jobs_appid_state", "appid", "state"),
)

__all__ = [
    "metadata",
    "wechat_account_period",
    "wechat_accounts",
    "wechat_clientmsgid",
    "wechat_follower_tags",
    "wechat_followers",
    "wechat_jobs",
    "wechat_sequence",
    "wechat_tags",
    "wechat_tokens",
]
