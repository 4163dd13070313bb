"""The second yardstick of bench/import_bench.py: the import's own writes, in hand-written SQL.

The first yardstick loads the file into one table with three indexes and no foreign keys. The
import writes much more: the inquiry row into a table with the pages' twenty indexes, then an
allocation, a first reply, a quality decision, an order, a buyer and its keys and one audit row,
each under its foreign keys, checked at commit. This yardstick does that same work in the best
plain SQL I can write for it, so that the ratio measures the import's own overhead, not the schema:

- COPY of the csv into a temporary table; every row checked as the import checks this file's
  cells (required, lengths, times that read and are not in the future nor before the inquiry,
  e-mail, username, known account, salesperson and choices, the rules between columns, a number
  seen twice), the problems of a row gathered in an array, so that a bad row is set aside with
  its reasons and the good ones go on (the import's answer; a plain cast would abort the file);
- the good rows typed once into a second table (account and salesperson looked up by join,
  choices mapped through small VALUES lists, ids taken from the sequence);
- buyers: one per company key (country | company name without spaces, case), keyed by e-mail and
  company; new inquiries join their buyer through the key (the product's matching also tries the
  phone and strips legal suffixes, so it does a little more);
- inquiries that are new inserted with owner, deadline, first reply, quality and state; stored
  ones updated where a column differs;
- allocations, first replies, operations' decisions and orders inserted where the row adds them
  (a stored inquiry's are compared with what is stored, as a re-import must);
- one audit row per new inquiry the row gives history (as the import: allocation, reply, decision or
  order), its changes built by jsonb_build_object.

All in one transaction with the company's time zone, as the import runs. Run for a file twice,
the second run finds every row stored and unchanged and writes nothing.
"""

from __future__ import annotations

SOURCES = {"询盘": "inquiry", "TM咨询": "tm", "旺旺": "tm", "RFQ": "rfq", "inquiry": "inquiry", "rfq": "rfq"}
QUALITIES = {"有效": "valid", "无效": "invalid", "valid": "valid", "invalid": "invalid"}
REASONS = {"垃圾询盘": "spam", "无具体需求": "no_requirement", "客户类型不符": "wrong_customer", "重复": "duplicate"}
COUNTRIES = {
    "US": "US", "美国": "US", "Germany": "DE", "德国": "DE", "GB": "GB", "英国": "GB", "沙特": "SA", "AE": "AE",
    "India": "IN", "巴西": "BR", "Nigeria": "NG", "越南": "VN", "FR": "FR", "澳大利亚": "AU",
}  # fmt: skip
STAGE = [
    "external_id", "account", "received_at", "source", "buyer_name", "buyer_company", "buyer_email", "country",
    "product", "quantity", "subject", "message", "assigned_to", "assigned_at", "first_reply_at", "quality",
    "invalid_reason", "won_at", "amount_usd", "trade_assurance",
]  # fmt: skip
# The inquiry's own columns a row gives, compared and updated on a stored inquiry.
OWN = ["received_at", "source", "buyer_name", "buyer_company", "buyer_email", "country", "product", "quantity",
       "subject", "message"]  # fmt: skip


def _values(name: str, mapping: dict[str, str]) -> str:
    rows = ", ".join(f"('{key}', '{value}')" for key, value in mapping.items())
    return f"(VALUES {rows}) AS {name}(k, v)"


EMAIL = r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\]]+$"
LENGTHS = {"external_id": 100, "account": 100, "buyer_name": 200, "buyer_company": 200, "product": 300,
           "quantity": 100, "subject": 500, "message": 20_000, "buyer_email": 254}  # fmt: skip
TIMES = ("received_at", "assigned_at", "first_reply_at", "won_at")


def _time_lateral(column: str) -> str:
    """The cell as a time if it has the file's shape and exists (no 13th month, no 30 February), else NULL.

    PostgreSQL 15 has no error-free cast (pg_input_is_valid came in 16): the parts are checked
    in nested CASEs, which are evaluated in order, before the cast. OFFSET 0 keeps PostgreSQL from
    pulling the subquery up, which would repeat the checks for every reference to the value."""
    x = f"s.{column}"
    # The shape of this file's times (2024-03-05 14:30), checked without a regular expression
    # (a third of the cost): sixteen characters, the separators in place, digits elsewhere.
    shape = (
        f"length({x}) = 16 AND substr({x}, 5, 1) = '-' AND substr({x}, 8, 1) = '-' AND substr({x}, 11, 1) = ' '"
        f" AND substr({x}, 14, 1) = ':' AND translate({x}, '0123456789', '') = '-- :'"
    )
    year, month, day = f"substr({x}, 1, 4)::int", f"substr({x}, 6, 2)::int", f"substr({x}, 9, 2)::int"
    return (
        f"CROSS JOIN LATERAL (SELECT CASE WHEN {shape} THEN CASE WHEN {month} BETWEEN 1 AND 12"
        f" AND {year} BETWEEN 1990 AND 2100 THEN CASE WHEN {day} BETWEEN 1 AND CASE WHEN {month} IN (4, 6, 9, 11)"
        f" THEN 30 WHEN {month} <> 2 THEN 31 WHEN {year} % 4 = 0 AND ({year} % 100 <> 0 OR {year} % 400 = 0)"
        f" THEN 29 ELSE 28 END AND substr({x}, 12, 2)::int <= 23"
        f" AND substr({x}, 15, 2)::int <= 59 THEN {x}::timestamptz END END END AS v OFFSET 0) t_{column}"
    )


def _checks() -> list[str]:
    """One text per problem a row can have (NULL when the cell is fine), as the import checks them."""
    checks = [f"CASE WHEN length(s.{c}) > {n} THEN '{c}: too long' END" for c, n in LENGTHS.items()]
    checks += [
        "CASE WHEN s.external_id = '' THEN 'inquiry_id: required' END",
        "CASE WHEN s.account = '' THEN 'account: required' WHEN a.id IS NULL THEN 'account: unknown' END",
        "CASE WHEN s.received_at = '' THEN 'received_at: required' END",
        "CASE WHEN s.source <> '' AND src.v IS NULL THEN 'source: unknown' END",
        "CASE WHEN s.country <> '' AND c.v IS NULL THEN 'country: unknown' END",
        f"CASE WHEN s.buyer_email <> '' AND s.buyer_email !~ '{EMAIL}' THEN 'buyer_email: not an address' END",
        "CASE WHEN s.assigned_to <> '' AND s.assigned_to !~ '^[\\w.@+-]+$' THEN 'assigned_to: not a username'"
        "  WHEN s.assigned_to <> '' AND u.id IS NULL THEN 'assigned_to: unknown'"
        "  WHEN s.assigned_to <> '' AND u.role <> 'sales' THEN 'assigned_to: not a salesperson' END",
        "CASE WHEN s.quality <> '' AND q.v IS NULL THEN 'quality: unknown' END",
        "CASE WHEN s.invalid_reason <> '' AND rs.v IS NULL THEN 'invalid_reason: unknown'"
        "  WHEN s.invalid_reason <> '' AND q.v IS DISTINCT FROM 'invalid' THEN 'invalid_reason: only when invalid'"
        "  WHEN q.v = 'invalid' AND s.invalid_reason = '' THEN 'invalid_reason: needed' END",
        "CASE WHEN s.amount_usd <> '' AND s.amount_usd !~ '^\\d+(\\.\\d+)?$' THEN 'amount: not a number'"
        "  WHEN s.amount_usd <> '' AND s.won_at = '' THEN 'won_at: needed for an amount'"
        "  WHEN s.won_at <> '' AND s.amount_usd = '' THEN 'amount: needed for an order' END",
        "CASE WHEN s.trade_assurance NOT IN ('', '是', '否') THEN 'trade_assurance: yes or no'"
        "  WHEN s.trade_assurance = '是' AND s.won_at = '' THEN 'won_at: needed for trade assurance' END",
        "CASE WHEN s.assigned_at <> '' AND s.assigned_to = '' THEN 'assigned_at: needs the salesperson' END",
        "CASE WHEN row_number() OVER (PARTITION BY s.account, s.external_id ORDER BY s.row_no) > 1"
        "  THEN 'inquiry_id: appears twice' END",
    ]
    for column in TIMES:
        checks.append(
            f"CASE WHEN s.{column} <> '' AND t_{column}.v IS NULL THEN '{column}: not a time' "
            f"WHEN t_{column}.v > now() + interval '10 minutes' THEN '{column}: in the future' "
            f"WHEN t_{column}.v < t_received_at.v THEN '{column}: earlier than received' END"
        )
    return checks


def statements(reply_deadline_hours: int) -> list[str]:
    """The statements after the COPY into sw_stage, in order."""
    own_distinct = " OR ".join(f"i.{c} IS DISTINCT FROM r.{c}" for c in OWN)
    return [
        # Every row checked as the import checks it; the problems of a row in one array.
        "CREATE TEMP TABLE sw_checked ON COMMIT DROP AS SELECT s.*, a.id AS account_id, u.id AS user_id,"
        " src.v AS source_v, q.v AS quality_v, rs.v AS reason_v, c.v AS country_v,"
        + "".join(f" t_{column}.v AS {column}_v," for column in TIMES)
        + f" array_remove(ARRAY[{', '.join(_checks())}], NULL) AS problems "
        "FROM sw_stage s LEFT JOIN accounts_account a ON a.code = s.account "
        "LEFT JOIN accounts_user u ON u.username = NULLIF(s.assigned_to, '') "
        f"LEFT JOIN {_values('src', SOURCES)} ON src.k = s.source "
        f"LEFT JOIN {_values('q', QUALITIES)} ON q.k = s.quality "
        f"LEFT JOIN {_values('rs', REASONS)} ON rs.k = s.invalid_reason "
        f"LEFT JOIN {_values('c', COUNTRIES)} ON c.k = s.country "
        + " ".join(_time_lateral(column) for column in TIMES),
        # The rejected rows and their reasons (the import stores them for the page that lists them).
        "CREATE TEMP TABLE sw_rejected ON COMMIT DROP AS SELECT row_no, problems FROM sw_checked "
        "WHERE cardinality(problems) > 0",
        # The good rows, typed, the stored inquiry (if any) beside each.
        "CREATE TEMP TABLE sw_rows ON COMMIT DROP AS SELECT "
        " COALESCE(i.id, nextval(pg_get_serial_sequence('inquiries_inquiry', 'id'))) AS id,"
        " i.id IS NULL AS is_new, i.owner_id AS stored_owner_id, i.first_reply_at AS stored_first_reply_at,"
        " s.account_id, s.external_id, s.received_at_v AS received_at,"
        " COALESCE(s.source_v, 'inquiry') AS source, s.buyer_name, s.buyer_company, s.buyer_email,"
        " COALESCE(s.country_v, '') AS country, s.product, s.quantity, s.subject, s.message, s.user_id AS owner_id,"
        " CASE WHEN s.user_id IS NOT NULL THEN COALESCE(s.assigned_at_v, s.received_at_v) END AS allocate_at,"
        " s.first_reply_at_v AS reply_at, s.quality_v AS quality,"
        " COALESCE(s.reason_v, '') AS reason, s.won_at_v AS won_at,"
        " NULLIF(s.amount_usd, '')::numeric(14, 2) AS amount, s.trade_assurance = '是' AS trade_assurance,"
        " lower(s.buyer_email) AS email_key,"
        " upper(COALESCE(s.country_v, '')) || '|' || lower(replace(s.buyer_company, ' ', '')) AS company_key "
        "FROM sw_checked s LEFT JOIN inquiries_inquiry i ON i.account_id = s.account_id"
        " AND i.external_id = s.external_id WHERE cardinality(s.problems) = 0",
        # Buyers of the new inquiries: one per company key not yet stored, with its key.
        "WITH nb AS (INSERT INTO inquiries_buyer (name, company, email, phone, country, created_at) "
        " SELECT DISTINCT ON (company_key) buyer_name, buyer_company, buyer_email, '', country, now() "
        " FROM sw_rows r WHERE is_new AND NOT EXISTS (SELECT 1 FROM inquiries_buyerkey k "
        "   WHERE k.kind = 'company' AND k.value = r.company_key) ORDER BY company_key, received_at "
        " RETURNING id, upper(country) || '|' || lower(replace(company, ' ', '')) AS company_key) "
        "INSERT INTO inquiries_buyerkey (buyer_id, kind, value) SELECT id, 'company', company_key FROM nb",
        # New inquiries, written once with what the services leave on them.
        "INSERT INTO inquiries_inquiry (id, account_id, external_id, received_at, source, buyer_name, buyer_company,"
        " buyer_email, buyer_phone, country, product, quantity, subject, message, owner_id, owner_since,"
        " first_allocated_at, reply_due_at, first_reply_at, last_followup_at, quality, state, lost_reason,"
        " created_at, updated_at, buyer_id) "
        "SELECT r.id, r.account_id, r.external_id, r.received_at, r.source, r.buyer_name, r.buyer_company,"
        " r.buyer_email, '', r.country, r.product, r.quantity, r.subject, r.message, r.owner_id, r.allocate_at,"
        f" r.allocate_at, GREATEST(r.received_at, r.allocate_at) + interval '{reply_deadline_hours} hours',"
        " r.reply_at, r.reply_at, COALESCE(r.quality, ''),"
        " CASE WHEN r.won_at IS NOT NULL THEN 'won' WHEN r.quality = 'invalid' THEN 'invalid'"
        "  WHEN r.reply_at IS NOT NULL THEN 'replied' ELSE 'new' END, '', now(), now(), k.buyer_id "
        "FROM sw_rows r LEFT JOIN inquiries_buyerkey k ON k.kind = 'company' AND k.value = r.company_key "
        "WHERE r.is_new ORDER BY r.id",
        "INSERT INTO inquiries_buyerkey (buyer_id, kind, value) SELECT i.buyer_id, 'email', r.email_key "
        "FROM sw_rows r JOIN inquiries_inquiry i ON i.id = r.id "
        "WHERE r.is_new AND i.buyer_id IS NOT NULL AND r.email_key LIKE '%@%' ON CONFLICT (kind, value) DO NOTHING",
        # Stored inquiries: the columns a row changes.
        "UPDATE inquiries_inquiry i SET "
        + ", ".join(f"{c} = r.{c}" for c in OWN)
        + f", updated_at = now() FROM sw_rows r WHERE i.id = r.id AND NOT r.is_new AND ({own_distinct})",
        # Allocations: new ones, and stored inquiries that go to another salesperson.
        "UPDATE inquiries_inquiry i SET owner_id = r.owner_id, owner_since = r.allocate_at "
        "FROM sw_rows r WHERE i.id = r.id AND NOT r.is_new AND r.owner_id IS DISTINCT FROM r.stored_owner_id "
        " AND r.owner_id IS NOT NULL",
        "INSERT INTO inquiries_allocation (inquiry_id, salesperson_id, allocated_by_id, assigned_at, reason, note) "
        "SELECT r.id, r.owner_id, NULL, r.allocate_at, 'import', '' FROM sw_rows r "
        "WHERE r.owner_id IS NOT NULL AND (r.is_new OR r.owner_id IS DISTINCT FROM r.stored_owner_id) ORDER BY r.id",
        # First replies, earlier than any stored.
        "INSERT INTO inquiries_followup (inquiry_id, author_id, kind, happened_at, note, next_action_on, created_at) "
        "SELECT r.id, r.owner_id, 'reply', r.reply_at, '', NULL, now() FROM sw_rows r "
        "WHERE r.reply_at IS NOT NULL AND (r.is_new OR r.stored_first_reply_at IS NULL"
        " OR r.reply_at < r.stored_first_reply_at) ORDER BY r.id",
        # Operations' decisions that differ from the latest stored one.
        "INSERT INTO inquiries_qualityverdict (inquiry_id, decided_by_id, side, verdict, reason, note, decided_at) "
        "SELECT r.id, NULL, 'ops', r.quality, r.reason, '', now() FROM sw_rows r "
        "WHERE r.quality IS NOT NULL AND (r.is_new OR NOT EXISTS (SELECT 1 FROM ("
        "  SELECT v.verdict, v.reason FROM inquiries_qualityverdict v WHERE v.inquiry_id = r.id AND v.side = 'ops'"
        "  ORDER BY v.decided_at DESC, v.id DESC LIMIT 1) l WHERE (l.verdict, l.reason) = (r.quality, r.reason)))"
        " ORDER BY r.id",
        # Orders the inquiry does not have yet.
        "INSERT INTO inquiries_order (inquiry_id, salesperson_id, account_id, won_at, amount_usd, trade_assurance,"
        " original_currency, original_amount, note, cancelled_at, cancel_reason, created_by_id, created_at,"
        " updated_at) "
        "SELECT r.id, r.owner_id, r.account_id, r.won_at, r.amount, r.trade_assurance, '', NULL, '', NULL, '', NULL,"
        " now(), now() FROM sw_rows r WHERE r.won_at IS NOT NULL AND (r.is_new OR NOT EXISTS ("
        "  SELECT 1 FROM inquiries_order o WHERE o.inquiry_id = r.id)) ORDER BY r.id",
        # One audit row per new inquiry, everything the row set.
        "INSERT INTO accounts_auditevent (actor_id, action, target_type, target_id, inquiry_id, summary, changes,"
        " created_at) "
        "SELECT NULL, 'inquiry.import', 'inquiries.inquiry', r.id::text, r.id, left('导入：' || concat_ws('; ',"
        "  CASE WHEN r.owner_id IS NOT NULL THEN '分配给 ' || r.owner_id || '（导入）' END,"
        "  CASE WHEN r.reply_at IS NOT NULL THEN '记录跟进：回复' END,"
        "  CASE WHEN r.quality IS NOT NULL THEN '运营：' || r.quality END,"
        "  CASE WHEN r.won_at IS NOT NULL THEN '记录订单：US$' || r.amount END), 500),"
        " jsonb_build_object('import_job', NULL, 'history', to_jsonb(array_remove(ARRAY["
        "  CASE WHEN r.owner_id IS NOT NULL THEN jsonb_build_object('action', 'inquiry.allocate', 'target',"
        "   'inquiries.inquiry:' || r.id, 'owner', jsonb_build_array(NULL, r.owner_id), 'reason', 'import',"
        "   'note', '', 'at', r.allocate_at) END,"
        "  CASE WHEN r.reply_at IS NOT NULL THEN jsonb_build_object('action', 'followup.log', 'target',"
        "   'inquiries.inquiry:' || r.id, 'kind', 'reply', 'at', r.reply_at, 'note', '') END,"
        "  CASE WHEN r.quality IS NOT NULL THEN jsonb_build_object('action', 'quality.decide', 'target',"
        "   'inquiries.inquiry:' || r.id, 'verdict', r.quality, 'reason', r.reason, 'note', '') END,"
        "  CASE WHEN r.won_at IS NOT NULL THEN jsonb_build_object('action', 'order.record', 'won_at', r.won_at,"
        "   'amount_usd', r.amount::text, 'trade_assurance', r.trade_assurance) END], NULL))),"
        " now() FROM sw_rows r WHERE r.is_new AND (r.owner_id IS NOT NULL OR r.reply_at IS NOT NULL"
        "  OR r.quality IS NOT NULL OR r.won_at IS NOT NULL) ORDER BY r.id",
    ]


def run(cursor, path: str, *, reply_deadline_hours: int) -> int:
    """Load the csv at `path` the yardstick's way, in the caller's transaction; the rows written."""
    cursor.execute("SET LOCAL TIME ZONE 'Asia/Shanghai'")
    columns = ", ".join(STAGE)
    cursor.execute(
        f"CREATE TEMP TABLE sw_stage (row_no bigserial, {', '.join(f'{c} text' for c in STAGE)}) ON COMMIT DROP"
    )
    with open(path, encoding="utf-8-sig") as f:
        cursor.copy_expert(f"COPY sw_stage ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)", f)
    written = 0
    for statement in statements(reply_deadline_hours):
        cursor.execute(statement)
        if statement.startswith(("INSERT INTO inquiries_inquiry", "UPDATE inquiries_inquiry i SET received_at")):
            written += max(cursor.rowcount, 0)
    return written
