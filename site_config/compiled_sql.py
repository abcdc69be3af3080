"""Hot-path statements built once per model and database, then run with fresh values.

Why: on the busiest paths (a chess move, a roulette bet) building and compiling the
queryset for a one-row read, update or insert cost more than the statement itself:
about 1 ms of Python per `Model.save(update_fields=...)` in the move profile
(docs/performance.md).
Here the locked read is compiled once by the ORM (quoting, `FOR UPDATE` where the
database has it), and the one-row UPDATE and INSERT are written once from the
model's columns with the backend's own quoting. Each call then prepares its values
exactly as `Model.save` does (`pre_save`, so `auto_now` works, then
`get_db_prep_save`) and runs on the same connection, inside the caller's transaction.

What is skipped is what these rows do not use: `pre_save`/`post_save` signals (no
receivers for these models; a test checks) and model validation (never run by
`save()` either).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.transaction import TransactionManagementError

_updates: dict[tuple[Any, ...], tuple[str, list[models.Field]]] = {}
_inserts: dict[tuple[Any, ...], tuple[str, list[models.Field]]] = {}


def _connection(model: type[models.Model], *, write: bool) -> tuple[str, Any]:
    alias = (router.db_for_write if write else router.db_for_read)(model)
    return alias, connections[alias]


class _Read:
    """A SELECT compiled once, with what running it needs per connection."""

    def __init__(self, sql: str, columns: list[Any], locking: bool) -> None:
        self.sql = sql
        self.columns = columns
        self.locking = locking
        # Converters are the connection's own methods: built per connection, and
        # forgotten with it.
        self._converters: weakref.WeakKeyDictionary[Any, dict[int, Any]] = (
            weakref.WeakKeyDictionary()
        )

    @classmethod
    def of(cls, queryset: models.QuerySet[Any], alias: str) -> tuple[_Read, Any]:
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        columns = [expression for expression, _, _ in compiler.select]
        return cls(sql, columns, bool(queryset.query.select_for_update)), params

    def check(self, conn: Any) -> None:
        """What compiling would have refused: a row lock outside a transaction."""
        if (
            self.locking
            and conn.features.has_select_for_update
            and conn.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )

    def converters(self, conn: Any) -> dict[int, Any]:
        """The ORM's column converters for `conn` (as SQLCompiler.get_converters)."""
        found = self._converters.get(conn)
        if found is None:
            found = {}
            for position, expression in enumerate(self.columns):
                functions = conn.ops.get_db_converters(
                    expression
                ) + expression.get_db_converters(conn)
                if functions:
                    found[position] = (functions, expression)
            self._converters[conn] = found
        return found


class CompiledSelect:
    """A one-row read by one field, compiled once per database: e.g.
    ``CompiledSelect(lambda: Game.objects.select_for_update().filter(public_id=""))``
    then ``.one(game_id)``. The queryset (built lazily: models may not be ready at
    import) must select every column and filter on one value, given as a dummy.
    The column converters the ORM would apply (e.g. SQLite's datetimes) are applied.
    """

    def __init__(
        self, queryset: Callable[[], models.QuerySet[Any]], *, write: bool = True
    ) -> None:
        self.queryset = queryset
        self.write = write
        self.model: type[models.Model] | None = None
        self.compiled: dict[tuple[str, str], tuple[_Read, list[str]]] = {}

    def _compile(self, alias: str) -> tuple[_Read, list[str]]:
        queryset = self.queryset()
        model = queryset.model
        read, params = _Read.of(queryset, alias)
        if len(params) != 1:
            raise ValueError("CompiledSelect needs a queryset with one parameter")
        attnames = [column.target.attname for column in read.columns]
        if attnames != [field.attname for field in model._meta.concrete_fields]:
            raise ValueError("CompiledSelect needs a plain select of every column")
        return read, attnames

    def one(self, value: Any) -> Any:
        """The row whose field equals `value` (a model instance), or None."""
        model = self._model()
        alias, conn = _connection(model, write=self.write)
        compiled = self.compiled.get((alias, conn.vendor))
        if compiled is None:
            compiled = self.compiled[(alias, conn.vendor)] = self._compile(alias)
        read, attnames = compiled
        read.check(conn)
        with conn.cursor() as cursor:
            cursor.execute(read.sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        converters = read.converters(conn)
        if converters:
            row = _converted(row, converters, conn)
        return model.from_db(alias, attnames, row)

    def _model(self) -> type[models.Model]:
        if self.model is None:
            self.model = self.queryset().model
        return self.model


class CompiledRows:
    """The rows of a ``values_list()`` queryset, compiled once per database.

    `build(*values)` returns the queryset for the given filter values. It is built
    once with `examples`, and each example's position among the compiled query's
    parameters is found by value, so examples must be plain ints or strings that
    appear nowhere else in the query (e.g. a negative id). Each run puts the real
    values (plain ints or strings too) in those positions; the other parameters are
    the query's constants. Rows come back as tuples, converted as the ORM would.
    """

    def __init__(
        self,
        build: Callable[..., models.QuerySet[Any]],
        *examples: int | str,
        write: bool = False,
    ) -> None:
        if not all(type(example) in (int, str) for example in examples):
            raise ValueError("examples must be plain ints or strings")
        self.build = build
        self.examples = examples
        self.write = write
        self.model: type[models.Model] | None = None
        self.compiled: dict[tuple[str, str], Any] = {}

    def _compile(self, alias: str) -> tuple[_Read, list[Any], list[int]]:
        read, compiled_params = _Read.of(self.build(*self.examples), alias)
        params = list(compiled_params)
        slots = []
        for example in self.examples:
            found = [i for i, value in enumerate(params) if value == example]
            if len(found) != 1:
                raise ValueError(f"example {example!r} must appear exactly once")
            slots.append(found[0])
        return read, params, slots

    def rows(self, *values: int | str) -> list[tuple[Any, ...]]:
        if self.model is None:
            self.model = self.build(*self.examples).model
        alias, conn = _connection(self.model, write=self.write)
        compiled = self.compiled.get((alias, conn.vendor))
        if compiled is None:
            compiled = self.compiled[(alias, conn.vendor)] = self._compile(alias)
        read, constants, slots = compiled
        read.check(conn)
        params = list(constants)
        for slot, value in zip(slots, values, strict=True):
            params[slot] = value
        with conn.cursor() as cursor:
            cursor.execute(read.sql, params)
            found = cursor.fetchall()
        converters = read.converters(conn)
        if not converters:
            return found
        return [tuple(_converted(row, converters, conn)) for row in found]


def _converted(row: Sequence[Any], converters: dict[int, Any], conn: Any) -> list[Any]:
    """A row with the ORM's column converters applied (e.g. SQLite's datetimes)."""
    values = list(row)
    for position, (functions, expression) in converters.items():
        value = values[position]
        for function in functions:
            value = function(value, expression, conn)
        values[position] = value
    return values


def _plain(field: Any) -> models.Field:
    """A concrete column that takes a plain `%s` placeholder (no custom SQL)."""
    if not getattr(field, "concrete", False) or hasattr(field, "get_placeholder"):
        raise ValueError(f"{field} is not a plain column")
    return field


def update_fields(instance: models.Model, fields: Sequence[str]) -> None:
    """`instance.save(update_fields=fields)` for a row known to exist."""
    model = type(instance)
    alias, conn = _connection(model, write=True)
    key = (model, tuple(fields), alias, conn.vendor)
    compiled = _updates.get(key)
    if compiled is None:
        targets = [model._meta.get_field(name) for name in fields]
        quote = conn.ops.quote_name
        sql = "UPDATE {} SET {} WHERE {} = %s".format(
            quote(model._meta.db_table),
            ", ".join(f"{quote(_plain(field).column)} = %s" for field in targets),
            quote(model._meta.pk.column),
        )
        compiled = _updates[key] = (sql, targets)
    sql, targets = compiled
    params = [
        field.get_db_prep_save(field.pre_save(instance, False), conn)
        for field in targets
    ]
    params.append(instance.pk)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise model.DoesNotExist(f"{model.__name__} {instance.pk} is gone")


def insert(instance: models.Model) -> None:
    """INSERT `instance`; its new primary key is read back (RETURNING where the
    database has it, else the cursor's last row id)."""
    model = type(instance)
    alias, conn = _connection(model, write=True)
    key = (model, alias, conn.vendor)
    compiled = _inserts.get(key)
    if compiled is None:
        targets = [
            field
            for field in model._meta.concrete_fields
            if not field.generated and field is not model._meta.auto_field
        ]
        quote = conn.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(model._meta.db_table),
            ", ".join(quote(_plain(field).column) for field in targets),
            ", ".join(["%s"] * len(targets)),
        )
        if conn.features.can_return_columns_from_insert:
            sql += f" RETURNING {quote(model._meta.pk.column)}"
        compiled = _inserts[key] = (sql, targets)
    sql, targets = compiled
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), conn)
        for field in targets
    ]
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        if conn.features.can_return_columns_from_insert:
            (pk,) = cursor.fetchone()
        else:
            pk = cursor.lastrowid
    if instance.pk is None:
        instance.pk = pk
    instance._state.adding = False
    instance._state.db = alias


__all__ = ["CompiledRows", "CompiledSelect", "insert", "update_fields"]
