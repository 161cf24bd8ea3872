"""audit events indexed by actor organisation, actor and action (the audit log's filters,
latest first)

Revision ID: 7c2d4e8f1a90
Revises: 3b7e1c9d2a40
Create Date: 2026-12-05 10:50:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c2d4e8f1a90'
down_revision = '3b7e1c9d2a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_actor_org', ['actor_org_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_actor_user', ['actor_user_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_action', ['action', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_action')
        batch_op.drop_index('ix_audit_events_actor_user')
        batch_op.drop_index('ix_audit_events_actor_org')
