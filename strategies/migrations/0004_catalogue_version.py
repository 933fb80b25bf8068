from django.db import migrations, models

# Writes to these tables change what the facet index holds (strategies/facet_index.py).
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


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # A sequence: moved by one statement-level trigger per write statement, never rewound by
        # a rollback, and with no row lock for concurrent writers to queue on.
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION strategies_bump_catalogue_version() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('{SEQUENCE}'); RETURN NULL; END $$"
        )
        for table in WATCHED_TABLES:
            schema_editor.execute(
                f'CREATE TRIGGER catalogue_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                f'ON "{table}" FOR EACH STATEMENT '
                "EXECUTE FUNCTION strategies_bump_catalogue_version()"
            )
    elif connection.vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO strategies_catalogueversion (id, value) VALUES (1, 0)"
        )
        for table in WATCHED_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f'CREATE TRIGGER "{table}_catalogue_version_{event.lower()}" AFTER {event} '
                    f'ON "{table}" BEGIN UPDATE strategies_catalogueversion '
                    "SET value = value + 1 WHERE id = 1; END"
                )


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for table in WATCHED_TABLES:
            schema_editor.execute(f'DROP TRIGGER IF EXISTS catalogue_version ON "{table}"')
        schema_editor.execute("DROP FUNCTION IF EXISTS strategies_bump_catalogue_version()")
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")
    elif connection.vendor == "sqlite":
        for table in WATCHED_TABLES:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_catalogue_version_{event}"')


class Migration(migrations.Migration):
    dependencies = [
        ("strategies", "0003_strategy_synthetic"),
        ("taxonomy", "0002_issue_lineage"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"verbose_name": "catalogue version"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
