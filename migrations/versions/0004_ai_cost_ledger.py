"""AI cost ledger: one row per AI request (reserved, paid, failed, unknown) and a per-project budget

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('project', sa.Column('ai_budget_usd', sa.Numeric(10, 2), nullable=True))
    op.create_table(
        'ai_call',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column('pipeline_step', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('ai_step', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column('revision_id', sa.Uuid(), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('reserved_usd', sa.Numeric(12, 6), server_default='0', nullable=False),
        sa.Column('cost_usd', sa.Numeric(12, 6), server_default='0', nullable=False),
        sa.Column('input_tokens', sa.Integer(), server_default='0', nullable=False),
        sa.Column('output_tokens', sa.Integer(), server_default='0', nullable=False),
        sa.Column('cache_read_tokens', sa.Integer(), server_default='0', nullable=False),
        sa.Column('cache_write_tokens', sa.Integer(), server_default='0', nullable=False),
        sa.Column('latency_ms', sa.Integer(), server_default='0', nullable=False),
        sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_ai_call_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_call')),
        sa.UniqueConstraint('project_id', 'idempotency_key', name=op.f('uq_ai_call_project_id_idempotency_key')),
    )
    op.create_index(op.f('ix_ai_call_project_id'), 'ai_call', ['project_id'], unique=False)
    op.create_index(op.f('ix_ai_call_revision_id'), 'ai_call', ['revision_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ai_call_revision_id'), table_name='ai_call')
    op.drop_index(op.f('ix_ai_call_project_id'), table_name='ai_call')
    op.drop_table('ai_call')
    op.drop_column('project', 'ai_budget_usd')
