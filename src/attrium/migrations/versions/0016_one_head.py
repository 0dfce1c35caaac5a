"""one head: the subscriptions and objects branch joins the main line

Revision ID: 0016_one_head
Revises: 0002c, 0015_activity_customer_ref

0002b and 0002c were written beside 0004-0007 and rebased onto 0007, which left two
heads that `upgrade heads` applied together. From here every migration follows one
line (tests/migrations/test_history.py fails on a second head).
"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0016_one_head"
down_revision: str | Sequence[str] | None = ("0002c", "0015_activity_customer_ref")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
