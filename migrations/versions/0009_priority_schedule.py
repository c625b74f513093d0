"""Orders with a priority and a later start; a record of each periodic cleanup run

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'project',
        sa.Column('priority', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='normal', nullable=False),
    )
    op.create_check_constraint(op.f('ck_project_priority'), 'project', "priority IN ('normal', 'rush')")
    op.add_column('project', sa.Column('scheduled_start', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'cleanup_run',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('run_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cleanup_run')),
        sa.UniqueConstraint('run_key', name=op.f('uq_cleanup_run_run_key')),
    )
    # The agency's record, no tenant's: operators read it through the API's role.
    op.execute('GRANT SELECT ON cleanup_run TO sitegen_app')


def downgrade() -> None:
    op.drop_table('cleanup_run')
    op.drop_column('project', 'scheduled_start')
    op.drop_constraint(op.f('ck_project_priority'), 'project', type_='check')
    op.drop_column('project', 'priority')
