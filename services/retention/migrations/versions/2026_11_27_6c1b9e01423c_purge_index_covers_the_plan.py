"""purge index covers the plan

The purge plan reads id, content_class, size_bytes and retain_until of due artifacts, and counts and sums
them: with content_class and size_bytes in ix_artifacts_purge, its pages and totals are read from the
index alone, without a table lookup per artifact.

Revision ID: 6c1b9e01423c
Revises: 010a6382f722
Create Date: 2026-11-27 21:40:00.000000

"""

from collections.abc import Sequence

from alembic import op


# revision identifiers, used by Alembic.
revision: str = "6c1b9e01423c"
down_revision: str | Sequence[str] | None = "010a6382f722"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ["platform_id", "state", "active_holds", "retain_until", "id"]


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_artifacts_purge")
        batch_op.create_index("ix_artifacts_purge", [*_KEY, "content_class", "size_bytes"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_artifacts_purge")
        batch_op.create_index("ix_artifacts_purge", _KEY, unique=False)
