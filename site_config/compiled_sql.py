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

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router

_updates: dict[tuple[Any, ...], tuple[str, list[models.Field]]] = {}
_inserts: dict[tuple[Any, ...], tuple[str, list[models.Field]]] = {}


def _connection(model: type[models.Model], *, write: bool) -> tuple[str, Any]:
    alias = (router.db_for_write if write else router.db_for_read)(model)
    return alias, connections[alias]


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
        self.compiled: dict[tuple[str, str], tuple[str, list[str], dict[int, Any]]] = {}

    def _compile(self, alias: str) -> tuple[str, list[str], dict[int, Any]]:
        queryset = self.queryset()
        model = queryset.model
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if len(params) != 1:
            raise ValueError("CompiledSelect needs a queryset with one parameter")
        columns = [expression for expression, _, _ in compiler.select]
        attnames = [column.target.attname for column in columns]
        if attnames != [field.attname for field in model._meta.concrete_fields]:
            raise ValueError("CompiledSelect needs a plain select of every column")
        return sql, attnames, compiler.get_converters(columns)

    def one(self, value: Any) -> Any:
        """The row whose field equals `value` (a model instance), or None."""
        model = self._model()
        alias, conn = _connection(model, write=self.write)
        compiled = self.compiled.get((alias, conn.vendor))
        if compiled is None:
            compiled = self.compiled[(alias, conn.vendor)] = self._compile(alias)
        sql, attnames, converters = compiled
        with conn.cursor() as cursor:
            cursor.execute(sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
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

    def _compile(self, alias: str) -> tuple[str, list[Any], list[int], Any]:
        compiler = self.build(*self.examples).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []
        for example in self.examples:
            found = [i for i, value in enumerate(params) if value == example]
            if len(found) != 1:
                raise ValueError(f"example {example!r} must appear exactly once")
            slots.append(found[0])
        columns = [expression for expression, _, _ in compiler.select]
        return sql, params, slots, compiler.get_converters(columns)

    def rows(self, *values: int | str) -> list[tuple[Any, ...]]:
        if self.model is None:
            self.model = self.build(*self.examples).model
        alias, conn = _connection(self.model, write=self.write)
        compiled = self.compiled.get((alias, conn.vendor))
        if compiled is None:
            compiled = self.compiled[(alias, conn.vendor)] = self._compile(alias)
        sql, constants, slots, converters = compiled
        params = list(constants)
        for slot, value in zip(slots, values, strict=True):
            params[slot] = value
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
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
