from django.db import migrations

SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE({row}.title, '')), 'A') || "
    "setweight(to_tsvector('english', "
    "regexp_replace(COALESCE({row}.summary, ''), '<[^>]+>', ' ', 'g')), 'B')"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # A bulk load (generate_strategies) sets strategies.defer_search_vector for its session and
    # fills the vectors afterwards with one set-based UPDATE: much faster than row by row.
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN "
        "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
        f"NEW.search_vector := {SEARCH_VECTOR.format(row='NEW')}; RETURN NEW; END $$"
    )


def restore(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN NEW.search_vector := {SEARCH_VECTOR.format(row='NEW')}; RETURN NEW; END $$"
    )


class Migration(migrations.Migration):
    dependencies = [("strategies", "0007_editor_and_reviewer_groups")]

    operations = [migrations.RunPython(create, restore)]
