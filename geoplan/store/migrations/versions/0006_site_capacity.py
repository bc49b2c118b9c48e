"""Each site's declared capacity: the people a station seats at once, as a planner imports or edits it.

Sites made before this revision declare none (NULL): their capacity stays what their floor area seats.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the sites' capacity column (people at once, NULL: not declared)."""
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("capacity", sa.Integer, nullable=True))


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("capacity")
