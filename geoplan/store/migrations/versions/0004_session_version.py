"""Each user's session version: a logout or a password change raises it, which ends the user's login sessions.

Users made before this revision start at 0, the version a session that carries none is taken to have.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the users' session_version column (0 for everyone)."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
