"""Whether another connection of this test database is waiting for a lock (PostgreSQL): the
race tests hold one transaction open and wait until a second worker blocks on it."""

from __future__ import annotations

from django.db import connection


def a_session_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])
