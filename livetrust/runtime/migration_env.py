"""The body of every service's Alembic ``env.py``: ``run_migrations(metadata)`` and nothing else there."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import MetaData

from ._db import UtcDateTime, create_db_engine

__all__ = ["run_migrations"]


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # UtcDateTime is stored as a plain DateTime; migrations should not import runtime internals.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


def run_migrations(metadata: MetaData) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    options = {
        "target_metadata": metadata,
        "compare_type": True,
        "render_as_batch": True,  # SQLite alters tables by copying them
        "render_item": _render_item,
    }
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is not None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_db_engine(config.get_main_option("sqlalchemy.url") or "", pool_size=1)
    with engine.connect() as conn:
        context.configure(connection=conn, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
