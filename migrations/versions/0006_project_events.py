"""Project events: a row per change of a step, the project's status or a revision, written by
triggers (so every writer, the worker's or the API's, is heard), announced with NOTIFY

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ('pipeline_step', 'project', 'revision_request')


def upgrade() -> None:
    op.create_table(
        'project_event',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column('project_id', sa.Uuid(), nullable=False),
        sa.Column('tx', sa.BigInteger(), server_default=sa.text('pg_current_xact_id()::text::bigint'), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_event_project_id_project'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_event')),
    )
    op.create_index('ix_project_event_project_id_tx_id', 'project_event', ['project_id', 'tx', 'id'])
    # A tenant table like the others: the API reads it under the caller's scope.
    op.execute('GRANT SELECT ON project_event TO sitegen_app')
    op.execute('ALTER TABLE project_event ENABLE ROW LEVEL SECURITY')
    op.execute(
        'CREATE POLICY tenant ON project_event '
        'USING (sitegen_agency() OR project_id IN (SELECT id FROM project))'
    )
    # SECURITY DEFINER: the event is written as the owner whoever made the change (the API's
    # role may read events, never write one), with a fixed search_path.
    op.execute("""
        CREATE FUNCTION sitegen_project_event() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
        DECLARE
          pid uuid;
          kind text;
          body jsonb;
        BEGIN
          IF TG_TABLE_NAME = 'pipeline_step' THEN
            IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
              RETURN NEW;
            END IF;
            pid := NEW.project_id;
            kind := 'step';
            body := jsonb_build_object('step', NEW.step_key, 'order', NEW.step_order,
                                       'status', NEW.status);
          ELSIF TG_TABLE_NAME = 'project' THEN
            IF NEW.status IS NOT DISTINCT FROM OLD.status
               AND NEW.waiting_for IS NOT DISTINCT FROM OLD.waiting_for THEN
              RETURN NEW;
            END IF;
            pid := NEW.id;
            kind := 'status';
            body := jsonb_build_object('status', NEW.status, 'waiting_for', NEW.waiting_for,
                                       'preview_url', NEW.preview_url);
          ELSE
            IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
              RETURN NEW;
            END IF;
            pid := NEW.project_id;
            kind := 'revision';
            body := jsonb_build_object('revision_id', NEW.id, 'status', NEW.status);
          END IF;
          INSERT INTO public.project_event (project_id, kind, data) VALUES (pid, kind, body);
          PERFORM pg_notify('project_event', pid::text);
          RETURN NEW;
        END $$""")
    op.execute('REVOKE ALL ON FUNCTION sitegen_project_event() FROM PUBLIC')
    op.execute("""
        CREATE TRIGGER project_event AFTER INSERT OR UPDATE OF status ON pipeline_step
        FOR EACH ROW EXECUTE FUNCTION sitegen_project_event()""")
    op.execute("""
        CREATE TRIGGER project_event AFTER UPDATE OF status, waiting_for ON project
        FOR EACH ROW EXECUTE FUNCTION sitegen_project_event()""")
    op.execute("""
        CREATE TRIGGER project_event AFTER INSERT OR UPDATE OF status ON revision_request
        FOR EACH ROW EXECUTE FUNCTION sitegen_project_event()""")


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f'DROP TRIGGER IF EXISTS project_event ON {table}')
    op.execute('DROP FUNCTION IF EXISTS sitegen_project_event()')
    op.drop_index('ix_project_event_project_id_tx_id', table_name='project_event')
    op.drop_table('project_event')
