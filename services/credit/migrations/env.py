"""Alembic environment of the credit service's own history (shared body in livetrust.runtime)."""

from livetrust.credit._storage import metadata
from livetrust.runtime.migration_env import run_migrations

run_migrations(metadata)
