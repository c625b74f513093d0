"""project life: revisions by name, site versions, waiting_for, operator decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('project', sa.Column('waiting_for', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    op.add_column('pipeline_step', sa.Column('decision', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.alter_column('revision_request', 'requested_by', type_=sqlmodel.sql.sqltypes.AutoString(length=255),
                    existing_type=sa.Uuid(), postgresql_using='requested_by::text', existing_nullable=True)
    op.add_column('revision_request', sa.Column('summary', sa.Text(), nullable=True))
    op.create_table('site_version',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('commit_sha', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('deploy_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('revision_id', sa.Uuid(), nullable=True),
    sa.Column('rolled_back_to', sa.Integer(), nullable=True),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('spec_version', sa.Integer(), nullable=False),
    sa.Column('artifacts', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_site_version_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['revision_request.id'], name=op.f('fk_site_version_revision_id_revision_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_version')),
    sa.UniqueConstraint('project_id', 'number', name=op.f('uq_site_version_project_id_number'))
    )
    op.create_index(op.f('ix_site_version_project_id'), 'site_version', ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_site_version_project_id'), table_name='site_version')
    op.drop_table('site_version')
    op.drop_column('revision_request', 'summary')
    # Names are not user ids: they cannot go back into a UUID column.
    op.execute("UPDATE revision_request SET requested_by = NULL WHERE requested_by !~ "
               "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'")
    op.alter_column('revision_request', 'requested_by', type_=sa.Uuid(),
                    existing_type=sqlmodel.sql.sqltypes.AutoString(length=255),
                    postgresql_using='requested_by::uuid', existing_nullable=True)
    op.drop_column('pipeline_step', 'decision')
    op.drop_column('project', 'waiting_for')
