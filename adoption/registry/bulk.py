"""Plain multi-row INSERTs and UPDATEs for the registry import's big tables.

``bulk_create`` prepares every value of every model instance in Python: for 100,000 domains
with their periods and memberships that is 1.5 million field preparations and most of the
import's time (bench/import_registry.py). Here the caller prepares each distinct value once
(:func:`db_value`) and rows go to the driver as plain tuples. Table and column
names come from the models' ``_meta``, never from input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connection, models

# Rows per executemany call (updates): bounds the memory of one call.
BATCH_ROWS = 5000
# Rows per INSERT statement, and bound values when the database states no limit (PostgreSQL
# allows 65,535 per statement).
MAX_ROWS_PER_STATEMENT = 1000
MAX_VALUES = 65535


def db_value(model: type[models.Model], field: str, value: Any) -> Any:
    """``value`` as the database driver wants it for ``model.field`` (datetime, JSON...)."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)  # type: ignore[union-attr]


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT ``rows`` (tuples of database values, in ``fields`` order); -> rows written.

    PostgreSQL gets COPY; other databases many rows per statement (``VALUES (...), ...``),
    as many as their limit of bound values allows. One statement per row, even through
    ``executemany``, took 28 s for 100,000 domains on PostgreSQL.
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    table = quote(model._meta.db_table)
    if connection.vendor == "postgresql":
        return _copy_rows(table, columns, rows)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or MAX_VALUES
    per_statement = max(1, min(MAX_ROWS_PER_STATEMENT, limit // len(fields)))
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, per_statement):
            values = ", ".join([one_row] * len(batch))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 (names from _meta)
            cursor.execute(sql, [value for row in batch for value in row])
            count += len(batch)
    return count


def _copy_rows(table: str, columns: str, rows: Iterable[Sequence[Any]]) -> int:
    """PostgreSQL's COPY: the fastest way in, and no SQL text to build per row (psycopg's
    client-side binding parses long INSERT statements slowly)."""
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """UPDATE by primary key: each row is (values in ``fields`` order..., pk).

    One prepared statement run per row by the driver, instead of ``bulk_update``'s CASE WHEN
    per field and row, which Django builds in Python (9 s for 5,000 rows on SQLite).
    """
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(model, name))} = %s" for name in fields)
    table = quote(model._meta.db_table)
    pk = quote(_column(model, model._meta.pk.name))
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608 (names from _meta)
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH_ROWS):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _column(model: type[models.Model], name: str) -> str:
    column = getattr(model._meta.get_field(name), "column", None)
    if not column:
        raise ValueError(f"{model.__name__}.{name} has no column")
    return str(column)


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
