"""What a scenario was planned from: the planner's data and the solver's warm start; the phase of each site.

Scenarios made before this revision get an empty data row (they were planned from the area's own data only).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the scenario_data table (one row per scenario) and the sites' phase column."""
    op.create_table(
        "scenario_data",
        sa.Column("scenario_id", sa.Integer, sa.ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_data", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("warm_start", sa.Text),
    )
    op.execute(
        "INSERT INTO scenario_data (scenario_id, user_data, summary) SELECT id, '{}', '{}' FROM scenarios"
    )
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("phase", sa.Integer))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("phase")
    op.drop_table("scenario_data")
