"""The design chain: wireframe and style-guide artifacts, and the version history of a
project's spec, sitemap, wireframe, style guide and copy

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_TYPES = ('brief', 'sitemap', 'content', 'layout_plan', 'code_patch', 'build_report', 'preview_screenshot')


def upgrade() -> None:
    # New enum values may be added in a transaction; they are used only after it commits.
    op.execute("ALTER TYPE artifact_type ADD VALUE IF NOT EXISTS 'wireframe'")
    op.execute("ALTER TYPE artifact_type ADD VALUE IF NOT EXISTS 'style_guide'")
    op.create_table(
        'version_history',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('artifact', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('artifact_version', sa.Integer(), nullable=False),
        sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('diff', sa.Text(), nullable=False),
        sa.Column('storage_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('reverted_from', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(
            "artifact IN ('spec', 'sitemap', 'wireframe', 'style_guide', 'content')",
            name=op.f('ck_version_history_artifact'),
        ),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_version_history_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_version_history')),
        sa.UniqueConstraint('project_id', 'version', name=op.f('uq_version_history_project_id_version')),
        sa.UniqueConstraint('project_id', 'artifact', 'artifact_version', name=op.f('uq_version_history_project_id_artifact_artifact_version')),
    )
    op.create_index(op.f('ix_version_history_project_id'), 'version_history', ['project_id'], unique=False)
    # A tenant table: the API reads it under the caller's scope (migration 0005's policies).
    op.execute('GRANT SELECT, INSERT, UPDATE, DELETE ON version_history TO sitegen_app')
    op.execute('ALTER TABLE version_history ENABLE ROW LEVEL SECURITY')
    op.execute(
        'CREATE POLICY tenant ON version_history '
        'USING (sitegen_agency() OR project_id IN (SELECT id FROM project))'
    )


def downgrade() -> None:
    op.execute('DROP POLICY IF EXISTS tenant ON version_history')
    op.drop_index(op.f('ix_version_history_project_id'), table_name='version_history')
    op.drop_table('version_history')
    # Postgres cannot drop an enum value: rebuild the type without the two.
    op.execute("DELETE FROM artifact WHERE type IN ('wireframe', 'style_guide')")
    op.execute('DROP INDEX IF EXISTS ix_artifact_type')
    op.execute('ALTER TYPE artifact_type RENAME TO artifact_type_0010')
    values = ', '.join(f"'{t}'" for t in OLD_TYPES)
    op.execute(f'CREATE TYPE artifact_type AS ENUM ({values})')
    op.execute('ALTER TABLE artifact ALTER COLUMN type TYPE artifact_type USING type::text::artifact_type')
    op.execute('DROP TYPE artifact_type_0010')
    op.execute('CREATE INDEX ix_artifact_type ON artifact (type)')
