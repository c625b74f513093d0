"""Users, refresh tokens, API keys, login attempts; the API's own role and row-level security;
an index for the AI calls' hourly allowance

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

The API connects as `sitegen_app`, a role that owns nothing and cannot bypass row-level
security. Every tenant table gets a policy: the agency (operators, admins, API keys and the
signed webhook) sees all rows; a client sees the rows of its own customer; a transaction that
set neither sees none. sitegen/db/tenancy.py sets both per transaction. Tables added later get
their grants (and a policy, if they hold a tenant's rows) in their own migration: a table the
role was never granted fails closed.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = 'sitegen_app'
# The same tables as sitegen/db/tenancy.py's TENANT_TABLES (the API checks them all).
# Rows owned through customer_id (or being the customer itself).
BY_CUSTOMER = {'customer': 'id', 'customer_order': 'customer_id', 'project': 'customer_id'}
# Rows owned through project_id; the subquery reads `project` under its own policy.
BY_PROJECT = (
    'onboarding_submission',
    'site_spec',
    'pipeline_step',
    'artifact',
    'revision_request',
    'site_version',
    'notification',
    'ai_call',
)
# What the API reads and writes; integration_config (sealed secrets) and alembic_version
# stay the owner's alone.
APP_TABLES = (
    *BY_CUSTOMER,
    *BY_PROJECT,
    'template_registry',
    'app_user',
    'refresh_token',
    'api_key',
    'login_attempt',
)


def _auth_tables() -> None:
    op.create_table(
        'app_user',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('customer_id', sa.Uuid(), nullable=True),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("(role = 'client') = (customer_id IS NOT NULL)", name=op.f('ck_app_user_client_has_customer')),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_app_user_customer_id_customer'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
        sa.UniqueConstraint('email', name=op.f('uq_app_user_email')),
    )
    op.create_index(op.f('ix_app_user_customer_id'), 'app_user', ['customer_id'], unique=False)
    op.create_table(
        'refresh_token',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('family_id', sa.Uuid(), nullable=False),
        sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('family_expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('spent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_refresh_token_user_id_app_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_token')),
    )
    op.create_index(op.f('ix_refresh_token_family_id'), 'refresh_token', ['family_id'], unique=False)
    op.create_index(op.f('ix_refresh_token_user_id'), 'refresh_token', ['user_id'], unique=False)
    op.create_table(
        'api_key',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('created_by', sa.Uuid(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_api_key_created_by_app_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
        sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix')),
    )
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Uuid(), server_default=sa.text('gen_random_uuid()'), nullable=False),
        sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt')),
    )
    op.create_index(op.f('ix_login_attempt_address'), 'login_attempt', ['address'], unique=False)
    op.create_index(op.f('ix_login_attempt_account'), 'login_attempt', ['account'], unique=False)


def _tenancy() -> None:
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
          END IF;
        END $$""")
    op.execute(f'GRANT USAGE ON SCHEMA public TO {APP_ROLE}')
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(APP_TABLES)} TO {APP_ROLE}')
    # Unset settings read as '' (or NULL on a fresh connection): no agency, no customer.
    op.execute("""
        CREATE FUNCTION sitegen_agency() RETURNS boolean LANGUAGE sql STABLE
        AS $$ SELECT coalesce(current_setting('sitegen.agency', true), '') = 'on' $$""")
    op.execute("""
        CREATE FUNCTION sitegen_customer() RETURNS uuid LANGUAGE sql STABLE
        AS $$ SELECT nullif(current_setting('sitegen.customer_id', true), '')::uuid $$""")
    for table, column in BY_CUSTOMER.items():
        op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY tenant ON {table} '
            f'USING (sitegen_agency() OR {column} = sitegen_customer())'
        )
    for table in BY_PROJECT:
        op.execute(f'ALTER TABLE {table} ENABLE ROW LEVEL SECURITY')
        op.execute(
            f'CREATE POLICY tenant ON {table} '
            f'USING (sitegen_agency() OR project_id IN (SELECT id FROM project))'
        )


def upgrade() -> None:
    _auth_tables()
    _tenancy()
    # The ledger's hourly allowance of AI calls counts a project's recent rows.
    op.create_index('ix_ai_call_project_id_created_at', 'ai_call', ['project_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_ai_call_project_id_created_at', table_name='ai_call')
    for table in (*BY_CUSTOMER, *BY_PROJECT):
        op.execute(f'DROP POLICY IF EXISTS tenant ON {table}')
        op.execute(f'ALTER TABLE {table} DISABLE ROW LEVEL SECURITY')
    op.execute('DROP FUNCTION IF EXISTS sitegen_customer()')
    op.execute('DROP FUNCTION IF EXISTS sitegen_agency()')
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}')
    op.execute(f'REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}')
    # The role itself stays: it is the cluster's, and other databases may grant it.
    op.drop_table('login_attempt')
    op.drop_table('api_key')
    op.drop_index(op.f('ix_refresh_token_user_id'), table_name='refresh_token')
    op.drop_index(op.f('ix_refresh_token_family_id'), table_name='refresh_token')
    op.drop_table('refresh_token')
    op.drop_index(op.f('ix_app_user_customer_id'), table_name='app_user')
    op.drop_table('app_user')
