"""Database helpers the batch services share."""

from __future__ import annotations

import datetime as dt
import io
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, models, router
from django.utils import timezone


def bulk_update_rows(model: type[models.Model], objs: Iterable[models.Model], fields: Sequence[str], *,
                     batch_size: int = 1000) -> None:  # fmt: skip
    """Write `fields` of each object, like QuerySet.bulk_update, in one statement per batch.

    Django's bulk_update builds a CASE WHEN per row and field in Python, which costs far more
    than the database spends writing (30 s of CPU for 100,000 imported inquiries). On PostgreSQL
    this sends `UPDATE … FROM (VALUES …)` instead; other databases use Django's own. As with
    bulk_update, no save() and no signals; auto_now fields are written as they stand.
    """
    objs = list(objs)
    if not objs or not fields:
        return
    db = router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        model.objects.using(db).bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    columns = [meta.pk] + [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    casts = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in columns) + ")"
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    names = ", ".join(quote(f.column) for f in columns)
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params = [
                field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in batch for field in columns
            ]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names quoted, values bound
                f"FROM (VALUES {', '.join([casts] * len(batch))}) AS v ({names}) WHERE t.{pk} = v.{pk}",
                params,
            )


# Field classes whose values bulk_create_rows writes as COPY text itself when they are of a plain
# type (see _copy_writer); other values go through the field's own get_db_prep_save().
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DecimalField,
    models.DateField,  # DateTimeField too
    models.ForeignKey,
    models.JSONField,
)


def _fast_insert_possible(model: type[models.Model]) -> bool:
    meta = model._meta
    return not meta.parents and all(
        isinstance(f, _PLAIN_FIELDS) and f.db_default is models.NOT_PROVIDED and not f.generated
        for f in meta.concrete_fields
        if not f.primary_key
    )


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """Take `count` ids from the model's id sequence on PostgreSQL (None elsewhere), in one query.

    Rows that are to be inserted with these ids can be referred to by other rows first: Django's
    foreign keys on PostgreSQL are checked at commit (DEFERRABLE INITIALLY DEFERRED).
    """
    db = router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        return None
    if count <= 0:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [value for (value,) in cursor.fetchall()]


def bulk_create_rows(model: type[models.Model], objs: Iterable[models.Model], *, batch_size: int = 1000) -> list:
    """Insert new objects like QuerySet.bulk_create (pks set, auto_now filled, FK checks), faster on PostgreSQL.

    bulk_create spends most of its time preparing each value through several layers of field
    methods, and PostgreSQL much of its own parsing the long INSERT; on PostgreSQL the objects
    take their ids from the sequence (one query, unless every object has its id already) and
    the rows go in with COPY, plain values (text, numbers, aware datetimes, ids, JSON) written
    as COPY text directly. Other values go through the field's own get_db_prep_save(); other
    databases and models with unusual fields use Django's own bulk_create.
    """
    objs = list(objs)
    if not objs:
        return objs
    db = router.db_for_write(model)
    connection = connections[db]
    given_pks = all(o.pk is not None for o in objs)
    if (
        connection.vendor != "postgresql"
        or not _fast_insert_possible(model)
        or (not given_pks and any(o.pk is not None for o in objs))
        or (not given_pks and not isinstance(model._meta.pk, models.AutoField))
    ):
        return model.objects.using(db).bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    _prepare_related(model, objs)
    if not given_pks:
        for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
            obj.pk = pk
    fields = list(meta.concrete_fields)
    # auto_now and auto_now_add: one time for the whole call (bulk_create takes one per object);
    # any other such field (a date) takes what its own pre_save gives, once.
    now = timezone.now()
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now if isinstance(field, models.DateTimeField) else field.pre_save(objs[0], add=True)
            for obj in objs:
                setattr(obj, field.attname, value)
    times: dict[int, str] = {}  # COPY text by id() of the time object: the objects outlive the call
    writers = [_copy_writer(field, connection, times) for field in fields]
    names = [f.attname for f in fields]
    values_of = operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    # copy_expert is psycopg2's own: wrap its errors as Django's, so that a dropped connection is
    # an OperationalError that the jobs retry, like any other query's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            lines = (zip(writers, values_of(obj), strict=True) for obj in batch)
            text = "".join("\t".join([write(value) for write, value in line]) + "\n" for line in lines)
            cursor.copy_expert(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN", io.StringIO(text))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db
    return objs


def _prepare_related(model: type[models.Model], objs: list[models.Model]) -> None:
    """Model._prepare_related_fields_for_save for foreign keys, in one pass over the batch.

    An unsaved related object is refused as bulk_create refuses it; a related object saved after
    it was assigned gives its id.
    """
    relations = [f for f in model._meta.concrete_fields if f.is_relation]
    for obj in objs:
        cache = obj._state.fields_cache
        for field in relations:
            related = cache.get(field.cache_name)
            if related is None:
                continue
            if related.pk is None:
                raise ValueError(
                    f"bulk_create() prohibited to prevent data loss due to unsaved related object '{field.name}'."
                )
            target = getattr(related, field.target_field.attname)
            if getattr(obj, field.attname) is None:
                setattr(obj, field.attname, target)
            elif getattr(obj, field.attname) != target:
                del cache[field.cache_name]


# COPY's text format: backslash, tab, newline and carriage return escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_writer(field: models.Field, connection, times: dict[int, str]) -> Callable[[Any], str]:
    """A function giving the COPY text of one of `field`'s values, chosen once per field."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder

        def write_json(value):
            return "\\N" if value is None else json.dumps(value, cls=encoder).translate(_COPY_ESCAPES)

        return write_json

    # Each kind of field gets a writer for its usual values (a str subclass such as a choice is
    # text too); anything else goes through the field's own preparation.
    def prepared(value):
        return _copy_text(field.get_db_prep_save(value, connection))

    if isinstance(field, (models.CharField, models.TextField)):

        def write(value):
            if value is None:
                return "\\N"
            return value.translate(_COPY_ESCAPES) if isinstance(value, str) else prepared(value)

    elif isinstance(field, models.BooleanField):

        def write(value):
            if value is None:
                return "\\N"
            return ("t" if value else "f") if value.__class__ is bool else prepared(value)

    elif isinstance(field, (models.IntegerField, models.ForeignKey, models.AutoField)):

        def write(value):
            if value is None:
                return "\\N"
            return str(value) if value.__class__ is int else prepared(value)

    elif isinstance(field, models.DateTimeField):
        # A batch shares many time objects (its creation time, times copied from row to row):
        # each is written out once (isoformat is the dearest of these conversions).
        def write(value):
            if value is None:
                return "\\N"
            text = times.get(id(value))
            if text is None:
                if value.__class__ is not dt.datetime or value.tzinfo is None:
                    return prepared(value)  # a naive time: the field decides
                text = times[id(value)] = value.isoformat()
            return text

    elif isinstance(field, (models.DateField, models.DecimalField)):
        usual = dt.date if isinstance(field, models.DateField) else Decimal

        def write(value):
            if value is None:
                return "\\N"
            return str(value) if value.__class__ is usual else prepared(value)

    else:

        def write(value):
            return "\\N" if value is None else prepared(value)

    return write


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)
