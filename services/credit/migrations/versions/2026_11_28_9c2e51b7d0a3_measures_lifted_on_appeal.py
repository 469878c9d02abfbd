"""measures: lifted_on_appeal

Revision ID: 9c2e51b7d0a3
Revises: e4869641c3b2
Create Date: 2026-11-28 04:00:00.000000

A measure lifted because the account's appeal was upheld is void and no longer counts when the ladder
escalates a later one. Measures lifted before this revision keep counting (false): nothing recorded
whether their lifting was an upheld appeal.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "9c2e51b7d0a3"
down_revision: str | Sequence[str] | None = "e4869641c3b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lifted_on_appeal", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_column("lifted_on_appeal")
