"""Drop ticket columns nothing reads: `assignee` (never set) and `fix_due_at` (never read).

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL drops the columns in place.
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("assignee")
        batch.drop_column("fix_due_at")


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("fix_due_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("assignee", sa.String(length=80), nullable=True))
