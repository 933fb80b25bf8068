import django.contrib.postgres.search
from django.db import migrations

# (name, table, columns): the facet and filter queries read the through tables by value first.
PLAIN_INDEXES = [
    (
        "strategy_crime_types_by_value",
        "strategies_strategy_crime_types",
        "crimetype_id, strategy_id",
    ),
    ("strategy_articles_by_value", "strategies_strategy_articles", "article_id, strategy_id"),
    (
        "strategy_issues_by_value",
        "strategies_strategy_cross_cutting_issues",
        "crosscuttingissue_id, strategy_id",
    ),
    ("strategy_listing", "strategies_strategy", "status, adoption_date DESC, strategy_id"),
]
# Title words weigh more than summary words; markup is not text.
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', "
    "regexp_replace(COALESCE(NEW.summary, ''), '<[^>]+>', ' ', 'g')), 'B')"
)


def create_indexes(apps, schema_editor):
    for name, table, columns in PLAIN_INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN NEW.search_vector := {SEARCH_VECTOR}; RETURN NEW; END $$"
    )
    schema_editor.execute(
        "CREATE TRIGGER strategy_search_vector BEFORE INSERT OR UPDATE OF title, summary "
        "ON strategies_strategy FOR EACH ROW EXECUTE FUNCTION strategies_search_vector()"
    )
    # Fill it for the rows already there (the trigger fires on this update).
    schema_editor.execute("UPDATE strategies_strategy SET title = title")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS strategy_search_vector ON strategies_strategy "
        "USING gin (search_vector)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS strategy_title_trigrams ON strategies_strategy "
        "USING gin (title gin_trgm_ops)"
    )


def drop_indexes(apps, schema_editor):
    names = [name for name, _table, _columns in PLAIN_INDEXES]
    if schema_editor.connection.vendor == "postgresql":
        names += ["strategy_search_vector", "strategy_title_trigrams"]
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS strategy_search_vector ON strategies_strategy"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS strategies_search_vector()")
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("strategies", "0004_catalogue_version"),
        ("strategies", "0002_postgresql_extensions"),
    ]

    operations = [
        migrations.AddField(
            model_name="strategy",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
