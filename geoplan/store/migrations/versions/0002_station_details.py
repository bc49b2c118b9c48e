"""Station details for the public side: address, contact, services, hours, host, photos; published scenarios.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the station detail columns and the published flag."""
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("address", sa.String(300)))
        batch.add_column(sa.Column("phone", sa.String(60)))
        batch.add_column(sa.Column("manager", sa.String(120)))
        batch.add_column(sa.Column("host", sa.String(40)))
        batch.add_column(sa.Column("hours", sa.String(120)))
        batch.add_column(sa.Column("services", sa.JSON))
        batch.add_column(sa.Column("photos", sa.JSON))
        batch.add_column(sa.Column("station_status", sa.String(20)))
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("scenarios") as batch:
        batch.drop_column("published")
    with op.batch_alter_table("sites") as batch:
        for column in ("station_status", "photos", "services", "hours", "host", "manager", "phone", "address"):
            batch.drop_column(column)
