"""Alembic environment of the gateway's own history (API keys; shared body in livetrust.runtime)."""

from livetrust.gateway._keys import metadata
from livetrust.runtime.migration_env import run_migrations

run_migrations(metadata)
