"""Alembic environment of the retention service's own history (shared body in livetrust.runtime)."""

from livetrust.retention._storage import metadata
from livetrust.runtime.migration_env import run_migrations

run_migrations(metadata)
