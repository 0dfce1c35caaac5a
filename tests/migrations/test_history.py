"""The migrations form one line: a new one starts from the one head."""

from alembic.script import ScriptDirectory

from attrium.core.migrate import alembic_config


def test_the_migrations_have_one_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"two or more heads: {heads}; start the newest from the other"
