"""Migrations are found from the package itself, with no alembic.ini on disk."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from westgear_desk.db import migrate


def test_script_location_is_inside_the_package() -> None:
    config = migrate.alembic_config()
    location = config.get_main_option("script_location")
    assert location == str(migrate.MIGRATIONS_DIR)
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert (migrate.MIGRATIONS_DIR / "script.py.mako").is_file()
    assert config.config_file_name is None


def test_single_linear_history_starting_at_the_initial_revision() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(scripts.get_heads()) == 1
    assert migrate.head_revision() == scripts.get_current_head()
    bases = scripts.get_bases()
    assert bases == ["0001_initial"]


def test_url_with_percent_in_password_survives_the_config() -> None:
    config = migrate.alembic_config("postgresql+psycopg://u:p%25w@h/db")
    assert config.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%25w@h/db"
