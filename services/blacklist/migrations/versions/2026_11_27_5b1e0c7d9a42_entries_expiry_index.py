"""entries: index for the expiry sweep

Revision ID: 5b1e0c7d9a42
Revises: cd636594b1b5
Create Date: 2026-11-27 21:15:00.000000

The background expiry job (every minute in every replica) asks for ACTIVE entries whose listed_until has
passed. Without this index that is a scan of every entry: seconds at 10 million listings, and on SQLite
inside a write transaction.
"""

from collections.abc import Sequence

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "5b1e0c7d9a42"
down_revision: str | Sequence[str] | None = "cd636594b1b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.create_index("ix_entries_status_listed_until", ["status", "listed_until"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_index("ix_entries_status_listed_until")
