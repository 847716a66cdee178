"""Figures, review of failed questions, approved answers, retention (issue #17).

conversation_stats (one row per conversation, filled by the event follower), approved_answers,
erasures; unmatched gains kind / matter / review / reviewed_at.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_stats",
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False),
        sa.Column("handed", sa.Boolean(), nullable=False),
        sa.Column("last_question", sa.Text(), nullable=True),
        sa.Column("last_matter", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("conversation_stats") as batch:
        batch.create_index("ix_conversation_stats_day", ["day"], unique=False)
        batch.create_index("ix_conversation_stats_department", ["department"], unique=False)
        batch.create_index("ix_conversation_stats_last_at", ["last_at"], unique=False)
    op.create_table(
        "approved_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("ticket_number", sa.String(length=20), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approved_answers") as batch:
        batch.create_index("ix_approved_answers_department", ["department"], unique=False)
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("after_event_id", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasures") as batch:
        batch.create_index("ix_erasures_conversation_id", ["conversation_id"], unique=False)
    with op.batch_alter_table("unmatched") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default="unmatched"))
        batch.add_column(sa.Column("matter", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("review", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_unmatched_conversation_id", ["conversation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unmatched") as batch:
        batch.drop_index("ix_unmatched_conversation_id")
        batch.drop_column("reviewed_at")
        batch.drop_column("review")
        batch.drop_column("matter")
        batch.drop_column("kind")
    op.drop_table("erasures")
    op.drop_table("approved_answers")
    op.drop_table("conversation_stats")
