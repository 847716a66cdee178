"""The human phase (issue #16): staff display names, human mode on tickets, ticket attachments.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(length=80), nullable=True))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("human_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("human_since", sa.DateTime(), nullable=True))
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_attachments_ticket_number", "attachments", ["ticket_number"])


def downgrade() -> None:
    op.drop_index("ix_attachments_ticket_number", table_name="attachments")
    op.drop_table("attachments")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("human_since")
        batch.drop_column("human_by")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("display_name")
