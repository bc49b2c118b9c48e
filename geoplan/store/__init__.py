"""The planner database: users, scenarios (with what they were planned from), decisions and the audit trail.

:class:`~geoplan.store.service.Store` is the one way in; :mod:`~geoplan.store.models` holds the tables,
:mod:`~geoplan.store.checks` the checks of what is written, ``migrations/`` the Alembic revisions.
"""

from __future__ import annotations

from geoplan.store.service import Store, default_url

__all__ = ["Store", "default_url"]
