"""SQLite connection settings, shared by the service hall's engine and Rasa's tracker store."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def pragmas_on_connect(engine: Engine, *pragmas: str) -> None:
    """Run `PRAGMA <p>` for each of `pragmas` on every new connection of `engine`."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
