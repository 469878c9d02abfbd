"""Alembic environment of the blacklist service's own history (shared body in livetrust.runtime)."""

from livetrust.blacklist._storage import metadata
from livetrust.runtime.migration_env import run_migrations

run_migrations(metadata)
