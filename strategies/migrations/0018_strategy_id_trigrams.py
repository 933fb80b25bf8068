from django.db import migrations

# The editors' list searches strategy IDs for any part of them ("0007s", "gbr00"), as it searches
# titles: through a trigram index, as the titles' (migration 0005), rather than by reading every
# row of the table.


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS strategy_id_trigrams ON strategies_strategy "
            "USING gin (strategy_id gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS strategy_id_trigrams")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0017_skip_keys")]

    operations = [migrations.RunPython(create_index, drop_index)]
