from django.db import migrations

# The strategies' tables, each with the column naming the strategy a row belongs to.
STRATEGY_TABLES = {
    "strategies_strategy": "id",
    "strategies_strategy_crime_types": "strategy_id",
    "strategies_strategy_articles": "strategy_id",
    "strategies_strategy_cross_cutting_issues": "strategy_id",
}
# The vocabularies' tables: a write to one of them changes labels and regions everywhere.
VOCABULARY_TABLES = [
    "taxonomy_jurisdiction",
    "taxonomy_crimetype",
    "taxonomy_article",
    "taxonomy_crosscuttingissue",
    "taxonomy_crosscuttingissue_lineage",
]
SEQUENCE = "strategies_catalogue_version_seq"
# Versions whose changes stay readable; a reader further behind builds its index afresh.
KEPT = 1000
# A statement touching more rows than this is logged as "everything changed".
MANY = 10000

# The version trigger's function: a new number for the version at commit, logged with the
# transaction's id (see forward()).
MOVE_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_move_catalogue_version() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ DECLARE moved bigint; BEGIN "
    "IF current_setting('strategies.version_moved_at', true) "
    "IS DISTINCT FROM statement_timestamp()::text THEN "
    "PERFORM set_config('strategies.version_moved_at', statement_timestamp()::text, true); "
    # Whoever holds the row commits before this transaction takes its number.
    "PERFORM 1 FROM strategies_catalogueversion WHERE id = 1 FOR UPDATE; "
    "INSERT INTO strategies_catalogueversion (id, value) "
    f"VALUES (1, nextval('{SEQUENCE}')) "
    "ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value RETURNING value INTO moved; "
    "INSERT INTO strategies_catalogue_version_log (version, xid) "
    "VALUES (moved, pg_current_xact_id()); "
    "IF moved % 100 = 0 THEN "
    "DELETE FROM strategies_catalogue_change WHERE xid IN (SELECT xid FROM "
    f"strategies_catalogue_version_log WHERE version <= moved - {KEPT}); "
    f"DELETE FROM strategies_catalogue_version_log WHERE version <= moved - {KEPT}; "
    "END IF; "
    "END IF; RETURN NULL; END $$"
)

# The change log's statement trigger function.
LOG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_log_catalogue_change() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ DECLARE touched bigint; BEGIN "
    "IF TG_NARGS = 0 OR TG_OP = 'TRUNCATE' THEN "
    "INSERT INTO strategies_catalogue_change VALUES (pg_current_xact_id(), NULL); "
    "RETURN NULL; END IF; "
    "SELECT count(*) INTO touched FROM changed_rows; "
    f"IF touched > {MANY} THEN "
    "INSERT INTO strategies_catalogue_change VALUES (pg_current_xact_id(), NULL); "
    "ELSIF TG_OP = 'UPDATE' THEN "
    "EXECUTE format('INSERT INTO strategies_catalogue_change "
    "SELECT pg_current_xact_id(), %1$I FROM changed_rows "
    "UNION SELECT pg_current_xact_id(), %1$I FROM old_rows', TG_ARGV[0]); "
    "ELSIF touched > 0 THEN "
    "EXECUTE format('INSERT INTO strategies_catalogue_change "
    "SELECT DISTINCT pg_current_xact_id(), %I FROM changed_rows', TG_ARGV[0]); "
    "END IF; RETURN NULL; END $$"
)


def forward(apps, schema_editor):
    """A log of which strategies each catalogue version changed, so that a process whose facet
    index is a few versions behind can patch it (strategies/facet_index.py) instead of reading
    the whole catalogue again after every write.

    Statement triggers (with transition tables, so one INSERT per statement) write the changed
    strategies' ids to strategies_catalogue_change under the writing transaction's id; a NULL id
    means "rebuild": a vocabulary changed, a table was truncated, or a statement touched more than
    MANY rows. The version trigger of migration 0011, which runs at commit, now also records its
    new number with the transaction's id in strategies_catalogue_version_log, so a reader joins
    the two on the transaction id: the log and the number become visible with the commit. That
    trigger now locks the version's row before taking the next number, so numbers are handed
    out, and become visible, in commit order: a reader that sees version N sees every version
    below N, and the changes of (its version, N] are all in the log.
    """
    if schema_editor.connection.vendor != "postgresql":
        return

    def execute(sql):
        # No parameters: the functions' bodies hold "%" of their own.
        schema_editor.execute(sql, params=None)

    execute("CREATE TABLE strategies_catalogue_change (xid xid8 NOT NULL, strategy_pk integer)")
    execute("CREATE INDEX strategies_catalogue_change_xid ON strategies_catalogue_change (xid)")
    execute(
        "CREATE TABLE strategies_catalogue_version_log "
        "(version bigint PRIMARY KEY, xid xid8 NOT NULL)"
    )
    execute(
        "CREATE INDEX strategies_catalogue_version_log_xid "
        "ON strategies_catalogue_version_log (xid)"
    )
    execute(MOVE_FUNCTION)
    execute(LOG_FUNCTION)
    for table, column in STRATEGY_TABLES.items():
        for event, tables in (
            ("INSERT", "NEW TABLE AS changed_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS changed_rows"),
            ("DELETE", "OLD TABLE AS changed_rows"),
        ):
            execute(
                f'CREATE TRIGGER catalogue_change_{event.lower()} AFTER {event} ON "{table}" '
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION strategies_log_catalogue_change('{column}')"
            )
        execute(
            f'CREATE TRIGGER catalogue_change_truncate AFTER TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION strategies_log_catalogue_change()"
        )
    for table in VOCABULARY_TABLES:
        execute(
            f"CREATE TRIGGER catalogue_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION strategies_log_catalogue_change()'
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return

    def execute(sql):
        schema_editor.execute(sql, params=None)

    for table in STRATEGY_TABLES:
        for event in ("insert", "update", "delete", "truncate"):
            execute(f'DROP TRIGGER IF EXISTS catalogue_change_{event} ON "{table}"')
    for table in VOCABULARY_TABLES:
        execute(f'DROP TRIGGER IF EXISTS catalogue_change ON "{table}"')
    execute("DROP FUNCTION IF EXISTS strategies_log_catalogue_change()")
    # Migration 0011's version of the function.
    execute(
        "CREATE OR REPLACE FUNCTION strategies_move_catalogue_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('strategies.version_moved_at', true) "
        "IS DISTINCT FROM statement_timestamp()::text THEN "
        "PERFORM set_config('strategies.version_moved_at', statement_timestamp()::text, true); "
        "INSERT INTO strategies_catalogueversion (id, value) "
        f"VALUES (1, nextval('{SEQUENCE}')) "
        "ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value; "
        "END IF; RETURN NULL; END $$"
    )
    execute("DROP TABLE IF EXISTS strategies_catalogue_version_log")
    execute("DROP TABLE IF EXISTS strategies_catalogue_change")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0011_catalogue_version_at_commit")]

    operations = [migrations.RunPython(forward, backward)]
