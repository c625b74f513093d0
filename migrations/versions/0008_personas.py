"""Personas for the AI steps, the provider configurations they run on, and the template's or
order's choice of persona per step; a default persona per step, seeded with the words, model
and output bound each step always had

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The agency's, read and written by the API's operator routes (no tenant owns them).
AGENCY_TABLES = ('llm_provider_config', 'persona')
# Names a project: a tenant table with the policy of migration 0005.
TENANT_TABLE = 'persona_override'

# (step, role, goal, model, max_tokens) as of this migration: the prompt files' system
# blocks and the Claude roles' defaults. Frozen here; later changes are later migrations.
DEFAULTS = (
    ('site_spec', "the agency's site planner",
     "You read a client's onboarding form and turn it into the site spec: a faithful, normalised plan that later steps write from.",
     'claude-sonnet-5-5', 8000),
    ('brief', "the agency's creative lead",
     'You write the brief that tells the copywriters and designers what this site is for, whom it speaks to and how it should sound.',
     'claude-sonnet-5-5', 4000),
    ('sitemap', "the agency's information architect",
     'You decide the pages of the site, their titles, their navigation labels and the sections each page shows.',
     'claude-sonnet-5-5', 2000),
    ('page_content', "the agency's copywriter",
     'You write the words of one page of the site, section by section, honest and specific to this business.',
     'claude-sonnet-5-5', 6000),
    ('layout_plan', "the agency's designer",
     'You choose, for every page, the layout variant of each of its sections so the site reads well and varies its rhythm.',
     'claude-sonnet-5-5', 3000),
    ('code_patch', "the agency's front-end engineer",
     "You write the site's content into the template's editable files, and nothing else, as one patch.",
     'claude-opus-5-5', 32000),
    ('fix_patch', "the agency's front-end engineer on call",
     'A build of the site failed; you repair the editable files so it passes, without changing what the site says.',
     'claude-opus-5-5', 32000),
    ('revision', "the agency's account editor",
     'A client asked for a change to their preview; you make exactly that change, or say plainly why it cannot be made.',
     'claude-opus-5-5', 32000),
    ('plan_revision', "the agency's account editor",
     'Before any copy is written, the client reviews the plan of their site; you change the plan exactly as they ask, or say plainly why it cannot be done.',
     'claude-sonnet-5-5', 8000),
)


def _seed() -> None:
    persona = sa.table(
        'persona',
        sa.column('name', sa.String), sa.column('step', sa.String),
        sa.column('default_step', sa.String), sa.column('role', sa.String),
        sa.column('goal', sa.Text), sa.column('backstory', sa.Text),
        sa.column('model', sa.String), sa.column('max_tokens', sa.Integer),
    )
    op.bulk_insert(persona, [
        {'name': f'{step} (default)', 'step': step, 'default_step': step, 'role': role,
         'goal': goal, 'backstory': '', 'model': model, 'max_tokens': max_tokens}
        for step, role, goal, model, max_tokens in DEFAULTS
    ])


def upgrade() -> None:
    op.create_table(
        'llm_provider_config',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column('api_key_encrypted', sa.Text(), nullable=True),
        sa.Column('api_key_last4', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("provider IN ('anthropic', 'offline')", name=op.f('ck_llm_provider_config_provider')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_provider_config')),
        sa.UniqueConstraint('name', name=op.f('uq_llm_provider_config_name')),
    )
    op.create_table(
        'persona',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('default_step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('goal', sa.Text(), nullable=False),
        sa.Column('backstory', sa.Text(), nullable=False),
        sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('temperature', sa.Float(), nullable=True),
        sa.Column('max_tokens', sa.Integer(), nullable=False),
        sa.Column('effort', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column('provider_config_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('temperature IS NULL OR (temperature >= 0 AND temperature <= 1)', name=op.f('ck_persona_temperature')),
        sa.ForeignKeyConstraint(['provider_config_id'], ['llm_provider_config.id'], name=op.f('fk_persona_provider_config_id_llm_provider_config'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_persona')),
        sa.UniqueConstraint('name', name=op.f('uq_persona_name')),
        sa.UniqueConstraint('default_step', name=op.f('uq_persona_default_step')),
    )
    op.create_index(op.f('ix_persona_step'), 'persona', ['step'], unique=False)
    op.create_index(op.f('ix_persona_provider_config_id'), 'persona', ['provider_config_id'], unique=False)
    op.create_table(
        'persona_override',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('persona_id', sa.Uuid(), nullable=False),
        sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column('project_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('(template_id IS NULL) <> (project_id IS NULL)', name=op.f('ck_persona_override_one_target')),
        sa.ForeignKeyConstraint(['persona_id'], ['persona.id'], name=op.f('fk_persona_override_persona_id_persona'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_persona_override_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_persona_override')),
        sa.UniqueConstraint('step', 'template_id', name=op.f('uq_persona_override_step_template_id')),
        sa.UniqueConstraint('step', 'project_id', name=op.f('uq_persona_override_step_project_id')),
    )
    op.create_index(op.f('ix_persona_override_persona_id'), 'persona_override', ['persona_id'], unique=False)
    op.create_index(op.f('ix_persona_override_project_id'), 'persona_override', ['project_id'], unique=False)
    _seed()
    op.execute(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON '
        f'{", ".join((*AGENCY_TABLES, TENANT_TABLE))} TO sitegen_app'
    )
    op.execute(f'ALTER TABLE {TENANT_TABLE} ENABLE ROW LEVEL SECURITY')
    op.execute(
        f'CREATE POLICY tenant ON {TENANT_TABLE} '
        f'USING (sitegen_agency() OR project_id IN (SELECT id FROM project))'
    )


def downgrade() -> None:
    op.execute(f'DROP POLICY IF EXISTS tenant ON {TENANT_TABLE}')
    op.drop_index(op.f('ix_persona_override_project_id'), table_name='persona_override')
    op.drop_index(op.f('ix_persona_override_persona_id'), table_name='persona_override')
    op.drop_table('persona_override')
    op.drop_index(op.f('ix_persona_provider_config_id'), table_name='persona')
    op.drop_index(op.f('ix_persona_step'), table_name='persona')
    op.drop_table('persona')
    op.drop_table('llm_provider_config')
