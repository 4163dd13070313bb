"""The inquiries import's fast path on PostgreSQL: the only place the import's own SQL lives.

Python has parsed, checked and decided every row (sheets.InquiriesImporter); this module stages
the rows that write (COPY into a temporary table) and lets PostgreSQL write the inquiries, their
allocations, first replies, quality decisions, orders, derived fields and audit rows in a fixed
number of set-based statements per batch, by the same rules as the batch services in
`inquiries.services` (tested to give identical rows: tests/test_import_setbased.py). Why: see
docs/decisions.md, "Set-based import".
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import OperationalError, connection, transaction

from ..models import Allocation, Buyer, FollowUp, Inquiry, InquiryState, Quality, QualityVerdict

# The inquiry's own columns an import row gives (None: the cell was empty, the stored value stays).
INQUIRY_COLUMNS = (
    "received_at",
    "source",
    "buyer_name",
    "buyer_company",
    "buyer_email",
    "buyer_phone",
    "country",
    "product",
    "quantity",
    "subject",
    "message",
)


@dataclass(slots=True)
class StagedRow:
    """One decided row: the inquiry (its id given, new or stored) and the history it adds."""

    inquiry_id: int
    is_new: bool
    buyer_id: int | None
    changed: bool  # a stored inquiry whose own columns the row changes
    account_id: int
    external_id: str
    values: dict[str, Any]  # INQUIRY_COLUMNS → value or None
    salesperson_id: int | None = None
    allocate_at: dt.datetime | None = None
    reply_at: dt.datetime | None = None
    verdict: str | None = None
    reason: str = ""
    order_id: int | None = None
    won_at: dt.datetime | None = None
    amount: Decimal | None = None
    trade_assurance: bool = False
    audit_summary: str | None = None  # None: no audit row
    audit_changes: dict | None = None


# In `_line`'s order; the inquiry's own columns as INQUIRY_COLUMNS lists them (all text but the time).
_STAGE_COLUMNS = ", ".join(
    [
        "inquiry_id bigint, is_new boolean, buyer_id bigint, changed boolean, account_id bigint, external_id text",
        *[f"{name} {'timestamptz' if name == 'received_at' else 'text'}" for name in INQUIRY_COLUMNS],
        "salesperson_id bigint, allocate_at timestamptz, reply_at timestamptz, verdict text, reason text, "
        "order_id bigint, won_at timestamptz, amount numeric, trade_assurance boolean, "
        "audit_summary text, audit_changes jsonb",
    ]
)

# COPY's text format: backslash, tab, newline and carriage return escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escaped(text: str) -> str:
    # Most cells hold none of the four: four scans in C are cheaper than translating every character.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    write = _WRITERS.get(value.__class__)
    if write is not None:
        return write(value)
    if isinstance(value, str):  # a choice (a str subclass)
        return _escaped(str(value))
    return str(value)


# COPY text of a value, by its exact type (the common ones; anything else: str()).
_WRITERS = {
    str: _escaped,
    bool: lambda value: "t" if value else "f",
    int: str,
    Decimal: str,
    dt.datetime: dt.datetime.isoformat,
    dict: lambda value: _escaped(json.dumps(value, ensure_ascii=False)),
}


def _line(row: StagedRow | tuple) -> str:
    if isinstance(row, tuple):
        return "\t".join([_text(cell) for cell in row]) + "\n"
    values = row.values
    cells = [
        row.inquiry_id,
        row.is_new,
        row.buyer_id,
        row.changed,
        row.account_id,
        row.external_id,
        *[values.get(name) for name in INQUIRY_COLUMNS],
        row.salesperson_id,
        row.allocate_at,
        row.reply_at,
        row.verdict,
        row.reason,
        row.order_id,
        row.won_at,
        row.amount,
        row.trade_assurance,
        row.audit_summary,
        row.audit_changes,
    ]
    return "\t".join([_text(cell) for cell in cells]) + "\n"


def batch_settings() -> None:
    """The commit and planner settings of one import batch's transaction."""
    with connection.cursor() as cursor:
        # The batch and the job's progress commit together, so a commit lost in a crash of the
        # database server is a batch the resumed job does again: no need to wait for the disk.
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # A batch looks up a few thousand keys among millions (buyer keys, stored inquiries). At
        # the default random_page_cost (4: spinning disks) PostgreSQL preferred reading the whole
        # key table to probing its unique index per key: 115-185 ms a batch at 830,000 keys,
        # growing with the table (seq scans read 275 million keys in a million-row import).
        # 1.1 is the usual value for SSDs and data in memory.
        cursor.execute("SET LOCAL random_page_cost = 1.1")


# The columns whose statistics steer a batch's lookups, by table: stored inquiries by (account,
# number), the queue rows the allocation rules take and the buyers they match, buyer keys by (kind,
# value), and the history of stored inquiries.
_LOOKED_UP_COLUMNS = {
    "inquiries_inquiry": ("account_id", "external_id", "owner_id", "state", "source", "buyer_id"),
    "inquiries_buyerkey": ("kind", "value"),
    "inquiries_allocation": ("inquiry_id", "assigned_at"),
    "inquiries_qualityverdict": ("inquiry_id", "side"),
    "inquiries_order": ("inquiry_id",),
}


def refresh_statistics() -> None:
    """ANALYZE the looked-up columns of each table that has more than doubled since it was last measured.

    The planner scales a table's row count to its current size, but its picture of the columns
    (how many accounts, how many rows each) comes from the last ANALYZE. An import into an empty
    or small table outgrows that picture within a few batches; autovacuum may catch up later or
    never (it is off on some servers). Without it PostgreSQL took each account's rows for a
    handful and read all of them to find a batch's stored inquiries: 200 ms a batch at 300,000
    inquiries, growing with the table. Doubling bounds the work (about ten ANALYZEs of a table
    that grows from nothing to a million rows, each of a fixed sample), and only the columns the
    batch looks up by are measured: the long texts cost the most to measure and steer nothing
    here. The other columns' statistics are left to autovacuum, as they were.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.oid = ANY(%s::regclass[]) "
            "AND pg_relation_size(c.oid) / current_setting('block_size')::int > 2 * c.relpages + 100",
            [list(_LOOKED_UP_COLUMNS)],
        )
        for (table,) in cursor.fetchall():
            name = connection.ops.quote_name(table)
            columns = ", ".join(connection.ops.quote_name(column) for column in _LOOKED_UP_COLUMNS[table])
            try:
                # ANALYZE waits for a VACUUM of the table (one against wraparound can take minutes);
                # rather than hold the batch, a busy table is measured at a later batch.
                with transaction.atomic():
                    cursor.execute(f"LOCK TABLE {name} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT")
                    cursor.execute(f"ANALYZE {name} ({columns})")
            except OperationalError:
                continue


def reserve_ids(table: str, count: int) -> list[int]:
    """Take `count` ids from a table's id sequence in one query, for rows the batch inserts."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [value for (value,) in cursor.fetchall()]


def write_inquiry_rows(
    rows: Sequence[StagedRow],
    *,
    buyers: Sequence[Buyer],
    buyer_keys: Sequence[tuple[int, str, str]],
    now: dt.datetime,
    changed_at: dt.datetime,
    reply_deadline: dt.timedelta,
    actor_id: int | None,
) -> None:
    """Write a batch of decided inquiry rows and their history, set-based, in the caller's transaction.

    The statements run in the batch services' order: the inquiries' own columns, allocations
    (owner by the latest allocation in time), first replies, operations' quality decisions,
    orders (salesperson and account from the inquiry as allocated), quality and state derived
    from the stored verdicts and orders, then one audit row per inquiry.
    """
    if not rows:
        return
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(f"CREATE TEMP TABLE import_stage ({_STAGE_COLUMNS}) ON COMMIT DROP")
        # psycopg2's copy_expert; wrap_database_errors makes a dropped connection Django's OperationalError.
        cursor.copy_expert("COPY import_stage FROM STDIN", _Lines(rows))
        if buyers:  # new buyers, their ids taken already: straight into their table
            cursor.copy_expert(
                "COPY inquiries_buyer (id, name, company, email, phone, country, created_at) FROM STDIN",
                _Lines((b.pk, b.name, b.company, b.email, b.phone, b.country, b.created_at) for b in buyers),
            )
        if buyer_keys:
            cursor.execute(
                "CREATE TEMP TABLE import_buyer_keys (buyer_id bigint, kind text, value text) ON COMMIT DROP"
            )
            cursor.copy_expert("COPY import_buyer_keys FROM STDIN", _Lines(buyer_keys))
            # A key another import stored meanwhile stays with its buyer (as buyers_match_inquiries).
            cursor.execute(
                "INSERT INTO inquiries_buyerkey (buyer_id, kind, value) SELECT buyer_id, kind, value "
                "FROM import_buyer_keys ON CONFLICT (kind, value) DO NOTHING"
            )
            cursor.execute("DROP TABLE import_buyer_keys")
        for statement, params in _statements(
            now=now, changed_at=changed_at, reply_deadline=reply_deadline, actor_id=actor_id
        ):
            cursor.execute(statement, params)
        cursor.execute("DROP TABLE import_stage")  # the next batch may share the transaction (tests)


class _Lines(io.TextIOBase):
    """The staged rows as COPY text, produced as COPY reads them (no whole-batch string)."""

    def __init__(self, rows: Iterable[StagedRow | tuple]):
        self._rows = iter(rows)
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            chunk = [_line(row) for _i, row in zip(range(500), self._rows, strict=False)]
            if not chunk:
                break
            self._buffer += "".join(chunk)
        if size < 0:
            text, self._buffer = self._buffer, ""
        else:
            text, self._buffer = self._buffer[:size], self._buffer[size:]
        return text

    readline = read


def _new_inquiry_insert(now: dt.datetime, reply_deadline: dt.timedelta) -> tuple[str, list]:
    """INSERT of the new inquiries, written once with what the services would leave on them.

    A new inquiry has no history but the row's: its allocation makes the salesperson its owner
    (the reply deadline counted from then), its reply is its first and last follow-up, and its
    quality and state follow from the row's verdict, order and reply. Other fields: the row's
    value, else the field's default (read from the model).
    """
    derived = {
        "buyer_id": ("s.buyer_id", []),
        "owner_id": ("s.salesperson_id", []),
        "owner_since": ("s.allocate_at", []),
        "first_allocated_at": ("s.allocate_at", []),
        "reply_due_at": ("GREATEST(s.received_at, s.allocate_at) + %s", [reply_deadline]),
        "first_reply_at": ("s.reply_at", []),
        "last_followup_at": ("s.reply_at", []),
        "quality": ("COALESCE(s.verdict, '')", []),
        "state": (
            "CASE WHEN s.order_id IS NOT NULL THEN %s WHEN s.verdict = %s THEN %s "
            "WHEN s.reply_at IS NOT NULL THEN %s ELSE %s END",
            [InquiryState.WON, Quality.INVALID, InquiryState.INVALID, InquiryState.REPLIED, InquiryState.NEW],
        ),
        "created_at": ("%s", [now]),
        "updated_at": ("%s", [now]),
    }
    names, values, params = [], [], []
    for field in Inquiry._meta.concrete_fields:
        names.append(connection.ops.quote_name(field.column))
        if field.column in ("id", "account_id", "external_id"):
            values.append("s." + {"id": "inquiry_id"}.get(field.column, field.column))
        elif field.column in derived:
            expression, expression_params = derived[field.column]
            values.append(expression)
            params.extend(expression_params)
        elif field.name in INQUIRY_COLUMNS:
            values.append(f"COALESCE(s.{field.name}, %s)")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    sql = (
        f"INSERT INTO inquiries_inquiry ({', '.join(names)}) SELECT {', '.join(values)} "  # noqa: S608 - model columns
        "FROM import_stage s WHERE s.is_new ORDER BY s.inquiry_id"
    )
    return sql, params


def _statements(*, now: dt.datetime, changed_at: dt.datetime, reply_deadline: dt.timedelta, actor_id: int | None):
    yield _new_inquiry_insert(now, reply_deadline)
    yield _stored_inquiries_update(changed_at)
    yield _allocations_update(reply_deadline)
    yield _allocations_insert()
    yield _first_replies_insert(now)
    yield _first_replies_update()
    yield _verdicts_insert(now)
    yield _orders_insert(now)
    yield _quality_and_state_update()
    yield _audit_insert(actor_id, now)


def _stored_inquiries_update(changed_at: dt.datetime) -> tuple[str, list | dict]:
    # Stored inquiries: an empty cell never erases what is stored.
    assignments = ", ".join(f"{name} = COALESCE(s.{name}, i.{name})" for name in INQUIRY_COLUMNS)
    return (
        f"UPDATE inquiries_inquiry i SET {assignments}, updated_at = %s "  # noqa: S608 - model columns
        "FROM import_stage s WHERE i.id = s.inquiry_id AND s.changed",
        [changed_at],
    )


def _allocations_update(reply_deadline: dt.timedelta) -> tuple[str, list | dict]:
    # Allocations: the first allocation time is the earliest; the owner is the salesperson of the
    # latest allocation in time (a back-dated one is recorded without taking the inquiry away).
    return (
        "UPDATE inquiries_inquiry i SET first_allocated_at = LEAST(i.first_allocated_at, t.allocate_at), "
        "owner_id = CASE WHEN t.takes THEN t.salesperson_id ELSE i.owner_id END, "
        "owner_since = CASE WHEN t.takes THEN t.allocate_at ELSE i.owner_since END, "
        "pooled_at = CASE WHEN t.takes THEN NULL ELSE i.pooled_at END, "
        "pool_warned_at = CASE WHEN t.takes THEN NULL ELSE i.pool_warned_at END, "
        "reply_due_at = CASE WHEN t.takes AND i.first_reply_at IS NULL "
        "  THEN GREATEST(i.received_at, t.allocate_at) + %s ELSE i.reply_due_at END, "
        "overdue_at = CASE WHEN t.takes AND i.first_reply_at IS NULL THEN NULL ELSE i.overdue_at END "
        "FROM (SELECT s.inquiry_id, s.salesperson_id, s.allocate_at, (i0.owner_id IS NULL OR NOT EXISTS ("
        "  SELECT 1 FROM inquiries_allocation a WHERE a.inquiry_id = s.inquiry_id AND a.assigned_at > s.allocate_at"
        "  )) AS takes"
        "  FROM import_stage s JOIN inquiries_inquiry i0 ON i0.id = s.inquiry_id"
        "  WHERE s.allocate_at IS NOT NULL AND NOT s.is_new) t "
        "WHERE i.id = t.inquiry_id",
        [reply_deadline],
    )


def _allocations_insert() -> tuple[str, list | dict]:
    return (
        "INSERT INTO inquiries_allocation (inquiry_id, salesperson_id, allocated_by_id, assigned_at, reason, note) "
        "SELECT s.inquiry_id, s.salesperson_id, NULL, s.allocate_at, %s, '' "
        "FROM import_stage s WHERE s.allocate_at IS NOT NULL ORDER BY s.inquiry_id",
        [Allocation.Reason.IMPORT],
    )


def _first_replies_insert(now: dt.datetime) -> tuple[str, list | dict]:
    # First replies, by the owner as allocated; the latest follow-up's plan is the inquiry's plan.
    return (
        "INSERT INTO inquiries_followup (inquiry_id, author_id, kind, happened_at, note, next_action_on, created_at) "
        "SELECT s.inquiry_id, i.owner_id, %s, s.reply_at, '', NULL, %s "
        "FROM import_stage s JOIN inquiries_inquiry i ON i.id = s.inquiry_id WHERE s.reply_at IS NOT NULL "
        "ORDER BY s.inquiry_id",
        [FollowUp.Kind.REPLY, now],
    )


def _first_replies_update() -> tuple[str, list | dict]:
    return (
        "UPDATE inquiries_inquiry i SET first_reply_at = s.reply_at, "
        "next_action_on = CASE WHEN i.last_followup_at IS NULL OR s.reply_at >= i.last_followup_at "
        "  THEN NULL ELSE i.next_action_on END, "
        "last_followup_at = CASE WHEN i.last_followup_at IS NULL OR s.reply_at >= i.last_followup_at "
        "  THEN s.reply_at ELSE i.last_followup_at END "
        "FROM import_stage s WHERE i.id = s.inquiry_id AND s.reply_at IS NOT NULL AND NOT s.is_new",
        [],
    )


def _verdicts_insert(now: dt.datetime) -> tuple[str, list | dict]:
    return (
        "INSERT INTO inquiries_qualityverdict (inquiry_id, decided_by_id, side, verdict, reason, note, decided_at) "
        "SELECT s.inquiry_id, NULL, %s, s.verdict, CASE WHEN s.verdict = %s THEN s.reason ELSE '' END, '', %s "
        "FROM import_stage s WHERE s.verdict IS NOT NULL ORDER BY s.inquiry_id",
        [QualityVerdict.Side.OPERATIONS, Quality.INVALID, now],
    )


def _orders_insert(now: dt.datetime) -> tuple[str, list | dict]:
    return (
        "INSERT INTO inquiries_order (id, inquiry_id, salesperson_id, account_id, won_at, amount_usd, "
        "trade_assurance, original_currency, original_amount, note, cancelled_at, cancel_reason, created_by_id, "
        "created_at, updated_at) "
        "SELECT s.order_id, s.inquiry_id, i.owner_id, i.account_id, s.won_at, s.amount, s.trade_assurance, "
        "'', NULL, '', NULL, '', NULL, %s, %s "
        "FROM import_stage s JOIN inquiries_inquiry i ON i.id = s.inquiry_id WHERE s.order_id IS NOT NULL "
        "ORDER BY s.order_id",
        [now, now],
    )


def _quality_and_state_update() -> tuple[str, list | dict]:
    # Quality and state of the inquiries given a reply, a verdict or an order (services/derived.py).
    return (
        "UPDATE inquiries_inquiry i SET quality = d.quality, state = d.state FROM ("
        "  SELECT i2.id, COALESCE(ops.verdict, sales.verdict, '') AS quality, CASE"
        "    WHEN EXISTS (SELECT 1 FROM inquiries_order o WHERE o.inquiry_id = i2.id AND o.cancelled_at IS NULL)"
        "      THEN %(won)s"
        "    WHEN sales.verdict = %(invalid)s AND (ops.id IS NULL"
        "      OR (ops.decided_at, ops.id) < (sales.decided_at, sales.id)) THEN %(disputed)s"
        "    WHEN COALESCE(ops.verdict, sales.verdict, '') = %(invalid)s THEN %(invalid_state)s"
        "    WHEN i2.lost_at IS NOT NULL THEN %(lost)s"
        "    WHEN i2.first_reply_at IS NOT NULL THEN %(replied)s"
        "    ELSE %(new)s END AS state"
        "  FROM import_stage s JOIN inquiries_inquiry i2 ON i2.id = s.inquiry_id"
        "  LEFT JOIN LATERAL (SELECT v.id, v.verdict, v.decided_at FROM inquiries_qualityverdict v"
        "    WHERE v.inquiry_id = i2.id AND v.side = %(ops)s ORDER BY v.decided_at DESC, v.id DESC LIMIT 1) ops ON true"
        "  LEFT JOIN LATERAL (SELECT v.id, v.verdict, v.decided_at FROM inquiries_qualityverdict v"
        "    WHERE v.inquiry_id = i2.id AND v.side <> %(ops)s ORDER BY v.decided_at DESC, v.id DESC LIMIT 1) sales"
        "    ON true"
        "  WHERE NOT s.is_new AND (s.reply_at IS NOT NULL OR s.verdict IS NOT NULL OR s.order_id IS NOT NULL)"
        ") d WHERE i.id = d.id AND (i.quality, i.state) IS DISTINCT FROM (d.quality, d.state)",
        {
            "won": InquiryState.WON,
            "invalid": Quality.INVALID,
            "disputed": InquiryState.DISPUTED,
            "invalid_state": InquiryState.INVALID,
            "lost": InquiryState.LOST,
            "replied": InquiryState.REPLIED,
            "new": InquiryState.NEW,
            "ops": QualityVerdict.Side.OPERATIONS,
        },
    )


def _audit_insert(actor_id: int | None, now: dt.datetime) -> tuple[str, list | dict]:
    return (
        "INSERT INTO accounts_auditevent (actor_id, action, target_type, target_id, inquiry_id, summary, changes, "
        "created_at) "
        "SELECT %s, 'inquiry.import', 'inquiries.inquiry', s.inquiry_id::text, s.inquiry_id, s.audit_summary, "
        "s.audit_changes, %s FROM import_stage s WHERE s.audit_summary IS NOT NULL ORDER BY s.inquiry_id",
        [actor_id, now],
    )
