"""The database refuses an order won before its inquiry arrived, whichever side is written.

The monthly report reads the orders that count for a month by their won_at index from the month's
start on (reports.selectors._won_per_inquiry): that is exact only if no order is won before its
inquiry arrived. The services, the importer and the models' clean() refuse it; these triggers are
the last line, for anything written around them. On PostgreSQL they are constraint triggers
checked at commit, like Django's foreign keys, so that the importer may insert an inquiry's order
before the inquiry itself. Rows already stored are not checked.
"""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE FUNCTION inquiries_order_won_after_received() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM inquiries_inquiry i WHERE i.id = NEW.inquiry_id AND i.received_at > NEW.won_at) THEN
            RAISE EXCEPTION 'order % is won before its inquiry % arrived', NEW.id, NEW.inquiry_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER order_won_after_received
        AFTER INSERT OR UPDATE OF won_at, inquiry_id ON inquiries_order
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.inquiry_id IS NOT NULL)
        EXECUTE FUNCTION inquiries_order_won_after_received()
    """,
    """
    CREATE FUNCTION inquiries_inquiry_received_before_orders() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM inquiries_order o WHERE o.inquiry_id = NEW.id AND o.won_at < NEW.received_at) THEN
            RAISE EXCEPTION 'inquiry % would arrive after one of its orders was won', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER inquiry_received_before_orders
        AFTER UPDATE OF received_at ON inquiries_inquiry
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.received_at > OLD.received_at)
        EXECUTE FUNCTION inquiries_inquiry_received_before_orders()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS inquiry_received_before_orders ON inquiries_inquiry",
    "DROP FUNCTION IF EXISTS inquiries_inquiry_received_before_orders()",
    "DROP TRIGGER IF EXISTS order_won_after_received ON inquiries_order",
    "DROP FUNCTION IF EXISTS inquiries_order_won_after_received()",
]

# SQLite (development and the demo): the same rules, checked at once. Times are stored as UTC text
# of one format there, so they compare as text.
_ORDER_CHECK = (
    "WHEN NEW.inquiry_id IS NOT NULL AND EXISTS (SELECT 1 FROM inquiries_inquiry i "
    "WHERE i.id = NEW.inquiry_id AND i.received_at > NEW.won_at) "
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: an order is won before its inquiry arrived'); END"
)
SQLITE = [
    f"CREATE TRIGGER order_won_after_received_insert BEFORE INSERT ON inquiries_order {_ORDER_CHECK}",
    f"CREATE TRIGGER order_won_after_received_update BEFORE UPDATE OF won_at, inquiry_id ON inquiries_order "
    f"{_ORDER_CHECK}",
    "CREATE TRIGGER inquiry_received_before_orders BEFORE UPDATE OF received_at ON inquiries_inquiry "
    "WHEN NEW.received_at > OLD.received_at AND EXISTS (SELECT 1 FROM inquiries_order o "
    "WHERE o.inquiry_id = NEW.id AND o.won_at < NEW.received_at) "
    "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: an inquiry would arrive after its order was won'); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS inquiry_received_before_orders",
    "DROP TRIGGER IF EXISTS order_won_after_received_update",
    "DROP TRIGGER IF EXISTS order_won_after_received_insert",
]


def _run(statements: dict):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, None)  # no parameters: the % in RAISE is literal

    return run


class Migration(migrations.Migration):
    dependencies = [("inquiries", "0010_drop_fk_indexes_covered_by_composites")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
