"""Alembic environment: runs migrations on the connection :meth:`geoplan.store.Store.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from geoplan.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line: connect from the configured URL
    import sqlalchemy as sa

    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.begin() as fresh:
        context.configure(connection=fresh, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
