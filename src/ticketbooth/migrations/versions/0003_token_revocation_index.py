"""An index on auth_token.revoked_at: every server process polls the recent revocations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_auth_token_revoked_at", "auth_token", ["revoked_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_token_revoked_at", table_name="auth_token")
