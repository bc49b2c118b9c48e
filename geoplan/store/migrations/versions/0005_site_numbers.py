"""Each site's number in its scenario: the number planners call it by, kept across re-optimisations.

Sites made before this revision are numbered 1, 2, ... in each scenario in the order they were added (their ids),
so a scenario's numbers start small however many scenarios the database holds.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the sites' number column and number every existing site within its scenario."""
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("number", sa.Integer, nullable=True))
    connection = op.get_bind()
    sites = sa.table("sites", sa.column("id", sa.Integer), sa.column("scenario_id", sa.Integer),
                     sa.column("number", sa.Integer))  # fmt: skip
    rows = connection.execute(sa.select(sites.c.id, sites.c.scenario_id).order_by(sites.c.scenario_id, sites.c.id))
    counters: dict[int, int] = {}
    numbers = []
    for site_id, scenario_id in rows:
        counters[scenario_id] = counters.get(scenario_id, 0) + 1
        numbers.append({"site": site_id, "value": counters[scenario_id]})
    if numbers:
        connection.execute(
            sites.update().where(sites.c.id == sa.bindparam("site")).values(number=sa.bindparam("value")), numbers
        )


def downgrade() -> None:
    """Drop the column again."""
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("number")
