"""Reachability checks behind ``/healthz``: the database and the Celery broker."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection
from kombu.exceptions import OperationalError as KombuOperationalError

from .celery import app as celery_app

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


def health() -> dict[str, Check]:
    return {"database": check_database(), "broker": check_broker()}
