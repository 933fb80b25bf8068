from django.db import migrations


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


def recreate(apps, schema_editor):
    """On SQLite the version is a row, which `flush` (and test teardown) deletes: recreate it
    whenever it is missing, starting from the clock so that a number cached before the flush is
    never seen again. (PostgreSQL keeps a sequence, which flush leaves alone.)"""
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in WATCHED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            name = f"{table}_catalogue_version_{event.lower()}"
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
            schema_editor.execute(
                f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN '
                "INSERT OR IGNORE INTO strategies_catalogueversion (id, value) "
                "VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000); "
                "UPDATE strategies_catalogueversion SET value = value + 1 WHERE id = 1; END"
            )


class Migration(migrations.Migration):
    dependencies = [("strategies", "0008_deferrable_search_vector")]

    operations = [migrations.RunPython(recreate, migrations.RunPython.noop)]
