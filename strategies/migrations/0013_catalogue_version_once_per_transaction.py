import importlib

from django.db import migrations

# What migration 0012 installed, put back when this one is reversed.
previous = importlib.import_module("strategies.migrations.0012_catalogue_change_log")

# The strategies' tables, whose version triggers fired once per row (migration 0011).
STRATEGY_TABLES = list(previous.STRATEGY_TABLES)
MANY = previous.MANY
# One row per writing transaction, from its first logged change until it commits.
PENDING = "strategies_catalogue_pending"

# Migration 0012's function, which first removes the pending row it was called for.
MOVE_FUNCTION = previous.MOVE_FUNCTION.replace(
    "DECLARE moved bigint; BEGIN ",
    "DECLARE moved bigint; BEGIN "
    f"IF TG_TABLE_NAME = '{PENDING}' THEN DELETE FROM {PENDING} WHERE xid = NEW.xid; END IF; ",
)
assert PENDING in MOVE_FUNCTION, "migration 0012's function no longer reads as expected"

# Migration 0012's function, which now also marks the transaction as pending, and writes nothing
# for a statement that changed no row (as the row triggers never fired for one).
LOG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_log_catalogue_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ DECLARE touched bigint; BEGIN "
    "IF TG_NARGS = 0 OR TG_OP = 'TRUNCATE' THEN "
    "INSERT INTO strategies_catalogue_change VALUES (pg_current_xact_id(), NULL); "
    "RETURN NULL; END IF; "
    "SELECT count(*) INTO touched FROM changed_rows; "
    "IF touched = 0 THEN RETURN NULL; END IF; "
    f"IF touched > {MANY} THEN "
    "INSERT INTO strategies_catalogue_change VALUES (pg_current_xact_id(), NULL); "
    "ELSIF TG_OP = 'UPDATE' THEN "
    "EXECUTE format('INSERT INTO strategies_catalogue_change "
    "SELECT pg_current_xact_id(), %1$I FROM changed_rows "
    "UNION SELECT pg_current_xact_id(), %1$I FROM old_rows', TG_ARGV[0]); "
    "ELSE "
    "EXECUTE format('INSERT INTO strategies_catalogue_change "
    "SELECT DISTINCT pg_current_xact_id(), %I FROM changed_rows', TG_ARGV[0]); "
    "END IF; "
    f"INSERT INTO {PENDING} VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING; "
    "RETURN NULL; END $$"
)


def version_trigger(table: str, events: str = "INSERT OR UPDATE OR DELETE") -> str:
    """The deferred trigger that moves the version at commit, once per row of `table` written."""
    return (
        f'CREATE CONSTRAINT TRIGGER catalogue_version_at_commit AFTER {events} ON "{table}" '
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
        "EXECUTE FUNCTION strategies_move_catalogue_version()"
    )


def forward(apps, schema_editor):
    """The version moved at commit through a deferred trigger on every row written to the
    strategies' tables (migration 0011): an import of 5,000 strategies writes some 200,000 tag
    rows, and each queued an event that ran the trigger at commit, only for all but the first to
    find the version already moved. That was about a fifth of the import's time.

    The change log's statement triggers (migration 0012) already run for each of those writes,
    once per statement. They now also insert the transaction's id into a table of pending
    transactions (once: a second insert meets the first and does nothing), and the deferred
    trigger is on that table: it runs once per transaction, at commit, removes the pending row
    and moves the version as before. The vocabularies' tables keep their row triggers: their
    writes are few, and their statement triggers have no rows to count.
    """
    if schema_editor.connection.vendor != "postgresql":
        return

    def execute(sql):
        # No parameters: the functions' bodies hold "%" of their own.
        schema_editor.execute(sql, params=None)

    execute(f"CREATE TABLE {PENDING} (xid xid8 PRIMARY KEY)")
    execute(MOVE_FUNCTION)
    execute(LOG_FUNCTION)
    execute(version_trigger(PENDING, "INSERT"))
    for table in STRATEGY_TABLES:
        execute(f'DROP TRIGGER IF EXISTS catalogue_version_at_commit ON "{table}"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return

    def execute(sql):
        schema_editor.execute(sql, params=None)

    for table in STRATEGY_TABLES:
        execute(version_trigger(table))
    execute(previous.LOG_FUNCTION)
    execute(previous.MOVE_FUNCTION)
    execute(f"DROP TABLE IF EXISTS {PENDING}")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0012_catalogue_change_log")]

    operations = [migrations.RunPython(forward, backward)]
