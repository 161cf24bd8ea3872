"""English beside Chinese: the language each user chose (users.locale), and each inbox
message written in English too (notifications.title_en, body_en)

Revision ID: 3b7e1c9d2a40
Revises: 85a49a75dc12
Create Date: 2026-12-05 10:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3b7e1c9d2a40'
down_revision = '85a49a75dc12'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=5), server_default='', nullable=False))
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_en', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('body_en', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('body_en')
        batch_op.drop_column('title_en')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
