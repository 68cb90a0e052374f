"""Checks behind ``/healthz``: the database, the Celery broker, and scan runs that wait for a
worker no one runs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection
from kombu.exceptions import OperationalError as KombuOperationalError

from adoption.celery import app as celery_app
from adoption.scans import waiting

BROKER_TIMEOUT_SECONDS = 2


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return Check(False, type(error).__name__)
    return Check(True, connection.vendor)


def check_broker() -> Check:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            transport = conn.transport_cls
    except (KombuOperationalError, OSError) as error:
        return Check(False, type(error).__name__)
    return Check(True, str(transport))


def check_workers() -> Check:
    """Fails while a run waits for a queue that no live worker consumes; a run that waits
    behind another run's chunks (its workers alive, all busy) is reported but is not a fault."""
    try:
        waits = waiting.waiting_runs()
    except DatabaseError as error:
        return Check(False, type(error).__name__)
    return Check(
        not any(not wait.consumers for wait in waits),
        " ".join(waiting.describe(wait) for wait in waits),
    )


def health() -> dict[str, Check]:
    return {
        "database": check_database(),
        "broker": check_broker(),
        "workers": check_workers(),
    }
