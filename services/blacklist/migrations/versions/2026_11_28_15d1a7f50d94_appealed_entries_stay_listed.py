"""appealed entries stay listed

Revision ID: 15d1a7f50d94
Revises: 5b1e0c7d9a42
Create Date: 2026-11-28 03:50:00.000000

An appeal no longer suspends a listing (REGULATION.md: "during the period no member platform serves them";
only an upheld appeal lifts it). Entries already under appeal and still inside their period are listed
again: their subjects are marked listed and a LISTED change is logged for each, so every replica's index,
every platform's mirror and the gateway's mirror pick them up through the change log as usual.
Data only; the schema does not change. Downgrade leaves the data as it is (the older code would simply
unlist them again on their next transition).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "15d1a7f50d94"
down_revision: str | Sequence[str] | None = "5b1e0c7d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_entries = sa.table(
    "entries", sa.column("id", sa.String), sa.column("status", sa.String), sa.column("listed_until", sa.DateTime)
)
_subjects = sa.table(
    "entry_subjects",
    sa.column("entry_id", sa.String),
    sa.column("subject_digest", sa.String),
    sa.column("is_listed", sa.Boolean),
)
_changes = sa.table(
    "changes",
    sa.column("version", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("entry_id", sa.String),
    sa.column("subject_digests", sa.JSON),
    sa.column("at", sa.DateTime),
)


def upgrade() -> None:
    """Relist appealed entries inside their period."""
    bind = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)  # the columns hold naive UTC
    entry_ids = bind.execute(
        sa.select(_entries.c.id)
        .where(
            _entries.c.status == "APPEALED",
            sa.or_(_entries.c.listed_until.is_(None), _entries.c.listed_until > now),
        )
        .order_by(_entries.c.id)
    ).scalars()
    version = bind.execute(sa.select(sa.func.coalesce(sa.func.max(_changes.c.version), 0))).scalar_one()
    for entry_id in list(entry_ids):
        digests = sorted(
            bind.execute(
                sa.select(_subjects.c.subject_digest).where(
                    _subjects.c.entry_id == entry_id, _subjects.c.is_listed == sa.false()
                )
            ).scalars()
        )
        if not digests:
            continue
        bind.execute(sa.update(_subjects).where(_subjects.c.entry_id == entry_id).values(is_listed=True))
        version += 1
        bind.execute(
            sa.insert(_changes).values(
                version=version, kind="LISTED", entry_id=entry_id, subject_digests=digests, at=now
            )
        )


def downgrade() -> None:
    """Data stays as it is."""
