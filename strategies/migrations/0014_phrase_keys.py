from django.db import migrations

import strategies.models

# The adjacent-word keys of a word vector (strategies/phrases.py): a 64-bit hash of each pair of
# words standing next to each other, taken from the vector's positions. A join rather than a
# window over the positions, so that words sharing a position (the vector caps positions at
# 16,383) each make their pairs.
KEYS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_phrase_keys(vector tsvector) RETURNS bigint[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "SELECT COALESCE(array_agg(DISTINCT hashtextextended(a.lexeme || ' ' || b.lexeme, 0)), '{}') "
    "FROM (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) AS a "
    "JOIN (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) AS b ON b.p = a.p + 1 $$"
)
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', "
    "regexp_replace(COALESCE(NEW.summary, ''), '<[^>]+>', ' ', 'g')), 'B')"
)
# As migration 0008's, with the keys computed from the new vector. A writer that sets
# strategies.defer_search_vector writes both itself (imports, synthetic strategies).
TRIGGER_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; "
    "NEW.phrase_keys := strategies_phrase_keys(NEW.search_vector); RETURN NEW; END $$"
)
TRIGGER_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; RETURN NEW; END $$"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(KEYS_FUNCTION)
    schema_editor.execute(TRIGGER_FUNCTION)
    # Out of line and not compressed: hashes do not compress (see migration 0010).
    schema_editor.execute(
        "ALTER TABLE strategies_strategy ALTER COLUMN phrase_keys SET STORAGE EXTERNAL"
    )
    # The rows already there (this UPDATE does not fire the vector's trigger).
    schema_editor.execute(
        "UPDATE strategies_strategy SET phrase_keys = strategies_phrase_keys(search_vector) "
        "WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS strategy_phrase_keys ON strategies_strategy "
        "USING gin (phrase_keys)"
    )
    # Without statistics of the keys, PostgreSQL takes every pair for a rare one, and for a
    # common pair beside other words would test the words on each candidate's vector.
    schema_editor.execute("ANALYZE strategies_strategy")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS strategy_phrase_keys")
    schema_editor.execute(TRIGGER_FUNCTION_BEFORE)
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_phrase_keys(tsvector)")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0013_catalogue_version_once_per_transaction")]

    operations = [
        migrations.AddField(
            model_name="strategy",
            name="phrase_keys",
            field=strategies.models.PhraseKeysField(editable=False, null=True, serialize=False),
        ),
        migrations.RunPython(forward, backward),
    ]
