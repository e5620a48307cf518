"""Lazily built settings, engine and session factory shared by the subcommands of one run."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from westgear_desk.settings import Settings


class CliContext:
    """What a subcommand needs, built only when first asked for (so `--help` stays instant)."""

    def __init__(self, *, database_url: str | None = None) -> None:
        self._database_url_override = database_url
        self._engine: Engine | None = None

    @cached_property
    def settings(self) -> Settings:
        from westgear_desk.settings import load_settings

        if self._database_url_override:
            return load_settings(database_url=self._database_url_override)
        return load_settings()

    @property
    def database_url(self) -> str:
        return self.settings.resolved_database_url()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from westgear_desk.db.session import create_engine_for

            self._engine = create_engine_for(self.database_url)
        return self._engine

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        from westgear_desk.db.session import make_session_factory

        return make_session_factory(self.engine)

    def require_current_schema(self) -> None:
        """Refuse to go on against a database whose schema is not the one this app knows."""
        from westgear_desk.db.migrate import ensure_compatible

        ensure_compatible(self.database_url)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
