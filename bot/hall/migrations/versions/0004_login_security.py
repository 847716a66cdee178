"""Login security (issue #19): session generation per user, failed logins in the database.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_gen", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("login_notice", sa.Text(), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("ip", sa.String(length=80), nullable=False),
    )
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    op.create_index("ix_login_failures_username", "login_failures", ["username"])
    op.create_index("ix_login_failures_ip", "login_failures", ["ip"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_ip", table_name="login_failures")
    op.drop_index("ix_login_failures_username", table_name="login_failures")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("login_notice")
        batch.drop_column("last_login_at")
        batch.drop_column("session_gen")
