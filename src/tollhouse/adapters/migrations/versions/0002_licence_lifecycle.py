"""licence_lifecycle tables

Revision ID: 0002
Revises: 0001

Activation codes live in ``activation_codes`` (0001, declared in ``tables.py``); the lifecycle
needs no table or column of its own, only an index for the expiry scans of the daily run.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The code lifecycle reuses `activation_codes`; it adds an index for expiry scans."""
    op.create_index(
        "ix_activation_codes_expiry",
        "activation_codes",
        ["provider_corpid", "expire_time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_activation_codes_expiry", table_name="activation_codes")
