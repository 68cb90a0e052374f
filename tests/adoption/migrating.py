"""Testing a data migration on rows written by the models as they were before it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@contextlib.contextmanager
def migrating(before: str, after: str, app: str = "adoption") -> Iterator[Apps]:
    """The database at migration ``before``, its models for the block to write old rows;
    then migrated to ``after``, and always back to the latest migrations (the test database
    is shared by the tests that follow). Use with ``django_db(transaction=True)``."""
    executor = MigrationExecutor(connection)
    executor.migrate([(app, before)])
    try:
        yield executor.loader.project_state([(app, before)]).apps
        MigrationExecutor(connection).migrate([(app, after)])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
