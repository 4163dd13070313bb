"""Database helpers the batch services share."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connections, models, router


def bulk_update_rows(model: type[models.Model], objs: Iterable[models.Model], fields: Sequence[str], *,
                     batch_size: int = 1000) -> None:  # fmt: skip
    """Write `fields` of each object, like QuerySet.bulk_update, in one statement per batch.

    Django's bulk_update builds a CASE WHEN per row and field, which costs far more CPU than the
    database spends writing; on PostgreSQL this sends `UPDATE … FROM (VALUES …)` instead, other
    databases use Django's own. As bulk_update: no save(), no signals, auto_now written as it stands.
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
