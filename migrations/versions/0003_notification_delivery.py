"""notification delivery: attempts, last error, when to try next, the channel, a final failure

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('notification', sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    op.add_column('notification', sa.Column('last_error', sa.Text(), nullable=True))
    # New rows are due at once. Recent rows queued before the outbox had a sender get the
    # same default, so what was promised is delivered rather than silently dropped.
    op.add_column('notification', sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=True))
    op.add_column('notification', sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('notification', sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
    # A week-old "your preview is ready" would confuse more than it tells: rows that old are
    # set aside, visibly (an operator can clear failed_at to send one anyway).
    op.execute("UPDATE notification SET failed_at = now(), next_attempt_at = NULL, "
               "last_error = 'queued over 7 days before the outbox had a sender; not sent' "
               "WHERE sent_at IS NULL AND created_at < now() - interval '7 days'")
    # The sender's one query: what is unsent, not given up on, and due.
    op.create_index('ix_notification_due', 'notification', ['next_attempt_at'], unique=False,
                    postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_notification_due', table_name='notification',
                  postgresql_where=sa.text('sent_at IS NULL AND failed_at IS NULL'))
    op.drop_column('notification', 'failed_at')
    op.drop_column('notification', 'channel')
    op.drop_column('notification', 'next_attempt_at')
    op.drop_column('notification', 'last_error')
    op.drop_column('notification', 'attempts')
