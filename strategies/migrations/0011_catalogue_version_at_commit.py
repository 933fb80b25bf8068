from django.db import migrations

# The tables whose writes change what the facet index holds (as in migration 0004).
WATCHED_TABLES = [
    "strategies_strategy",
    "strategies_strategy_crime_types",
    "strategies_strategy_articles",
    "strategies_strategy_cross_cutting_issues",
    "taxonomy_jurisdiction",
    "taxonomy_crimetype",
    "taxonomy_article",
    "taxonomy_crosscuttingissue",
    "taxonomy_crosscuttingissue_lineage",
]
SEQUENCE = "strategies_catalogue_version_seq"
# The version's row, written with the next number of the sequence.
MOVE = (
    "INSERT INTO strategies_catalogueversion (id, value) VALUES (1, nextval('{sequence}')) "
    "ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value"
).format(sequence=SEQUENCE)


def forward(apps, schema_editor):
    """On PostgreSQL the version moved with the first write statement of a transaction (0004),
    as a sequence, which every session sees at once: a reader that came in before the writer
    committed could build its facet index from the old rows and label it with the new version,
    and keep it until the next write. Now the version is the row of strategies_catalogueversion,
    written when the transaction commits (deferred constraint triggers, once per statement that
    fires them), so the new number and the new rows become visible together. A reader reads the
    number first, then the rows: whatever it misses has a higher number, and the next request
    rebuilds.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION strategies_move_catalogue_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('strategies.version_moved_at', true) "
        "IS DISTINCT FROM statement_timestamp()::text THEN "
        "PERFORM set_config('strategies.version_moved_at', statement_timestamp()::text, true); "
        f"{MOVE}; "
        "END IF; RETURN NULL; END $$"
    )
    schema_editor.execute(MOVE)
    for table in WATCHED_TABLES:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS catalogue_version ON "{table}"')
        schema_editor.execute(
            f'CREATE CONSTRAINT TRIGGER catalogue_version_at_commit AFTER INSERT OR UPDATE OR '
            f'DELETE ON "{table}" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
            "EXECUTE FUNCTION strategies_move_catalogue_version()"
        )
        # TRUNCATE (manage.py flush) has no row triggers; it empties the version's table too,
        # and this writes the row again.
        schema_editor.execute(
            f'CREATE TRIGGER catalogue_version_truncate AFTER TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION strategies_move_catalogue_version()"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in WATCHED_TABLES:
        schema_editor.execute(f'DROP TRIGGER IF EXISTS catalogue_version_at_commit ON "{table}"')
        schema_editor.execute(f'DROP TRIGGER IF EXISTS catalogue_version_truncate ON "{table}"')
        schema_editor.execute(
            f'CREATE TRIGGER catalogue_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
            f'ON "{table}" FOR EACH STATEMENT '
            "EXECUTE FUNCTION strategies_bump_catalogue_version()"
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_move_catalogue_version()")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0010_long_text_out_of_line")]

    operations = [migrations.RunPython(forward, backward)]
