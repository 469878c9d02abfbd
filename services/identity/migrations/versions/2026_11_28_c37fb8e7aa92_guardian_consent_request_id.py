"""guardian consents: request_id

Revision ID: c37fb8e7aa92
Revises: f6e832517293
Create Date: 2026-11-28 04:00:00.000000

RequestGuardianConsent takes a request_id so that a resend returns the first consent instead of creating
a second one (and asking the provider again). Nullable: consents requested without one, including every
existing row, stay NULL, and NULLs never collide in the unique constraint (SQLite and PostgreSQL alike).
Expand only: code without the column keeps working against the new schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision: str = "c37fb8e7aa92"
down_revision: str | Sequence[str] | None = "f6e832517293"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_guardian_consents_platform_id_request_id"), ["platform_id", "request_id"]
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("guardian_consents", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_guardian_consents_platform_id_request_id"), type_="unique")
        batch_op.drop_column("request_id")
