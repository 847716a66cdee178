"""Handoff queue updates (issue #16): the place in the queue last told to a waiting citizen.

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("last_told_position", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_told_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("last_told_at")
        batch.drop_column("last_told_position")
