"""initial schema: seed 000 tables

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customer',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('email', name=op.f('uq_customer_email'))
    )
    op.create_table('integration_config',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('integration_type', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('config_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('config_value', sa.Text(), nullable=False),
    sa.Column('is_secret', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('last_tested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_test_success', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_config')),
    sa.UniqueConstraint('integration_type', 'config_key', name=op.f('uq_integration_config_integration_type_config_key'))
    )
    op.create_index(op.f('ix_integration_config_integration_type'), 'integration_config', ['integration_type'], unique=False)
    op.create_table('template_registry',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('repo_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('default_branch', sqlmodel.sql.sqltypes.AutoString(length=50), server_default='main', nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('thumbnail_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('preview_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('is_active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_registry'))
    )
    op.create_table('customer_order',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('external_ref', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=50), server_default='paid', nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_order_customer_id_customer'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_order')),
    sa.UniqueConstraint('external_ref', name=op.f('uq_customer_order_external_ref'))
    )
    op.create_index(op.f('ix_customer_order_customer_id'), 'customer_order', ['customer_id'], unique=False)
    op.create_table('project',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('slug', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=50), server_default='pending', nullable=False),
    sa.Column('repo_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('preview_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('subdomain', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('production_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('workflow_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('metadata', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'onboarding', 'generating', 'preview_ready', 'in_review', 'approved', 'delivered', 'cancelled', 'needs_attention')", name=op.f('ck_project_status')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_project_customer_id_customer'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_project_order_id_customer_order'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('order_id', name=op.f('uq_project_order_id')),
    sa.UniqueConstraint('subdomain', name=op.f('uq_project_subdomain'))
    )
    op.create_index(op.f('ix_project_customer_id'), 'project', ['customer_id'], unique=False)
    op.create_index(op.f('ix_project_slug'), 'project', ['slug'], unique=True)
    op.create_index(op.f('ix_project_status'), 'project', ['status'], unique=False)
    op.create_table('artifact',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.Enum('brief', 'sitemap', 'content', 'layout_plan', 'code_patch', 'build_report', 'preview_screenshot', name='artifact_type'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('storage_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('inline_content', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('mime_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_artifact_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_artifact')),
    sa.UniqueConstraint('project_id', 'type', 'version', name=op.f('uq_artifact_project_id_type_version'))
    )
    op.create_index(op.f('ix_artifact_project_id'), 'artifact', ['project_id'], unique=False)
    op.create_index('ix_artifact_type', 'artifact', ['type'], unique=False)
    op.create_table('notification',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_notification_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_notification_idempotency_key'))
    )
    op.create_index(op.f('ix_notification_project_id'), 'notification', ['project_id'], unique=False)
    op.create_table('onboarding_submission',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('raw_data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('assets_refs', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('is_valid', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('validation_errors', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_onboarding_submission_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_submission'))
    )
    op.create_index(op.f('ix_onboarding_submission_project_id'), 'onboarding_submission', ['project_id'], unique=True)
    op.create_table('pipeline_step',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('step_key', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('step_order', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'success', 'failed', 'skipped', 'manual', name='step_status'), server_default='queued', nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_seconds', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('retry_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('error_details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('logs_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('output_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_pipeline_step_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_step')),
    sa.UniqueConstraint('project_id', 'step_key', name=op.f('uq_pipeline_step_project_id_step_key'))
    )
    op.create_index(op.f('ix_pipeline_step_project_id'), 'pipeline_step', ['project_id'], unique=False)
    op.create_index('ix_pipeline_step_status', 'pipeline_step', ['status'], unique=False)
    op.create_table('revision_request',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('source', sa.Enum('client', 'human', 'ai', name='revision_source'), nullable=False),
    sa.Column('requested_by', sa.Uuid(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('affected_pages', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.Enum('pending', 'processing', 'applied', 'rejected', name='revision_status'), server_default='pending', nullable=False),
    sa.Column('diff_ref', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_commit', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_revision_request_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_request'))
    )
    op.create_index(op.f('ix_revision_request_project_id'), 'revision_request', ['project_id'], unique=False)
    op.create_index('ix_revision_request_status', 'revision_request', ['status'], unique=False)
    op.create_table('site_spec',
    sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
    sa.Column('project_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('spec_data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_site_spec_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_spec')),
    sa.UniqueConstraint('project_id', 'version', name=op.f('uq_site_spec_project_id_version'))
    )
    op.create_index(op.f('ix_site_spec_project_id'), 'site_spec', ['project_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_site_spec_project_id'), table_name='site_spec')
    op.drop_table('site_spec')
    op.drop_index('ix_revision_request_status', table_name='revision_request')
    op.drop_index(op.f('ix_revision_request_project_id'), table_name='revision_request')
    op.drop_table('revision_request')
    op.drop_index('ix_pipeline_step_status', table_name='pipeline_step')
    op.drop_index(op.f('ix_pipeline_step_project_id'), table_name='pipeline_step')
    op.drop_table('pipeline_step')
    op.drop_index(op.f('ix_onboarding_submission_project_id'), table_name='onboarding_submission')
    op.drop_table('onboarding_submission')
    op.drop_index(op.f('ix_notification_project_id'), table_name='notification')
    op.drop_table('notification')
    op.drop_index('ix_artifact_type', table_name='artifact')
    op.drop_index(op.f('ix_artifact_project_id'), table_name='artifact')
    op.drop_table('artifact')
    op.drop_index(op.f('ix_project_status'), table_name='project')
    op.drop_index(op.f('ix_project_slug'), table_name='project')
    op.drop_index(op.f('ix_project_customer_id'), table_name='project')
    op.drop_table('project')
    op.drop_index(op.f('ix_customer_order_customer_id'), table_name='customer_order')
    op.drop_table('customer_order')
    op.drop_table('template_registry')
    op.drop_index(op.f('ix_integration_config_integration_type'), table_name='integration_config')
    op.drop_table('integration_config')
    op.drop_table('customer')
    # drop_table leaves Postgres enum types behind; remove them so `downgrade base` is clean.
    for enum_name in ("step_status", "artifact_type", "revision_source", "revision_status"):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
