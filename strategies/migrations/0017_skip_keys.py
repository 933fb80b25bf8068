from django.db import migrations

# The phrase keys (migration 0014) of a word vector, now for words two positions apart too: a
# 64-bit hash of each pair of words standing next to each other ('joint investig'), and of each
# pair standing two positions apart, written with " _ " between them ('traffick _ person': a
# phrase with a stop word inside). No word holds a space, so the two kinds never share a text.
# The two joins as one UNION ALL: the fastest of three ways measured.
KEYS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_phrase_keys(vector tsvector) RETURNS bigint[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "WITH positions AS MATERIALIZED (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) "
    "SELECT COALESCE(array_agg(DISTINCT h), '{}') FROM ("
    "SELECT hashtextextended(a.lexeme || ' ' || b.lexeme, 0) AS h "
    "FROM positions AS a JOIN positions AS b ON b.p = a.p + 1 UNION ALL "
    "SELECT hashtextextended(a.lexeme || ' _ ' || b.lexeme, 0) "
    "FROM positions AS a JOIN positions AS b ON b.p = a.p + 2) AS pairs $$"
)
# As migration 0015's.
KEYS_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION strategies_phrase_keys(vector tsvector) RETURNS bigint[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "WITH positions AS MATERIALIZED (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) "
    "SELECT COALESCE(array_agg(DISTINCT hashtextextended(a.lexeme || ' ' || b.lexeme, 0)), '{}') "
    "FROM positions AS a JOIN positions AS b ON b.p = a.p + 1 $$"
)
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', "
    "regexp_replace(COALESCE(NEW.summary, ''), '<[^>]+>', ' ', 'g')), 'B')"
)
# As migration 0014's: the vector and its keys, no skip filter any more.
TRIGGER_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; "
    "NEW.phrase_keys := strategies_phrase_keys(NEW.search_vector); RETURN NEW; END $$"
)
# Migration 0016's skip filters, put back when going back.
TRIGGER_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; "
    "NEW.phrase_keys := strategies_phrase_keys(NEW.search_vector); "
    "NEW.skip_filter := strategies_skip_filter(NEW.search_vector); RETURN NEW; END $$"
)
FILTER_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_skip_filter(vector tsvector) RETURNS bytea "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "WITH positions AS MATERIALIZED (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)), "
    "blocks AS (SELECT h & 63 AS block, bit_or((1::bigint << ((h >> 6) & 63)::int) "
    "| (1::bigint << ((h >> 12) & 63)::int) | (1::bigint << ((h >> 18) & 63)::int)) AS bits "
    "FROM (SELECT hashtextextended(a.lexeme || ' ' || b.lexeme, 0) AS h "
    "FROM positions AS a JOIN positions AS b ON b.p = a.p + 2) AS pairs GROUP BY 1) "
    "SELECT string_agg(int8send(COALESCE(bits, 0)), '' ORDER BY n) "
    "FROM generate_series(0, 63) AS n LEFT JOIN blocks ON block = n $$"
)
HOLDS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_skip_filter_holds(filter bytea, pair text) "
    "RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT "
    + " AND ".join(
        "get_bit(filter, ((hashtextextended(pair, 0) & 63) * 64 + 56 "
        f"- ((hashtextextended(pair, 0) >> {shift}) & 56) "
        f"+ ((hashtextextended(pair, 0) >> {shift}) & 7))::int) = 1"
        for shift in (6, 12, 18)
    )
    + " $$"
)
GIN_INDEX = (
    "CREATE INDEX IF NOT EXISTS strategy_phrase_keys ON strategies_strategy USING gin (phrase_keys)"
)


def _on_postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def _rewriting_every_row(schema_editor, update: str) -> None:
    """Run an UPDATE of every strategy. Each row it rewrites gets new entries in every index;
    the full-text indexes collect theirs and merge them once at the end, rather than every 4 MB
    (as migration 0016 does; see services.index_merges_deferred()). The setting lasts as long
    as the migration's transaction."""
    schema_editor.execute("SELECT set_config('gin_pending_list_limit', '1GB', true)")
    schema_editor.execute(update)
    schema_editor.execute(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid = 'strategies_strategy'::regclass AND a.amname = 'gin'"
    )


def filters_dropped(apps, schema_editor):
    """The trigger stops computing skip filters, before their column goes."""
    if not _on_postgresql(schema_editor):
        return
    schema_editor.execute(TRIGGER_FUNCTION)
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_skip_filter_holds(bytea, text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_skip_filter(tsvector)")
    # Migration 0010's target again: the row holds no filter.
    schema_editor.execute("ALTER TABLE strategies_strategy SET (toast_tuple_target = 512)")


def filters_restored(apps, schema_editor):
    """Migration 0016's filters, computed again for every strategy."""
    if not _on_postgresql(schema_editor):
        return
    schema_editor.execute(FILTER_FUNCTION)
    schema_editor.execute(HOLDS_FUNCTION)
    schema_editor.execute(TRIGGER_FUNCTION_BEFORE)
    schema_editor.execute(
        "ALTER TABLE strategies_strategy ALTER COLUMN skip_filter SET STORAGE MAIN"
    )
    schema_editor.execute("ALTER TABLE strategies_strategy SET (toast_tuple_target = 1100)")
    _rewriting_every_row(
        schema_editor,
        "UPDATE strategies_strategy SET skip_filter = strategies_skip_filter(search_vector) "
        "WHERE search_vector IS NOT NULL",
    )


def _keys_recomputed(schema_editor, function: str) -> None:
    """Every strategy's keys computed again with `function`. The keys' index is built again
    afterwards rather than taking the new keys one row at a time, which took longer."""
    schema_editor.execute(function)
    schema_editor.execute("DROP INDEX IF EXISTS strategy_phrase_keys")
    # The rows already there (this UPDATE does not fire the vector's trigger).
    _rewriting_every_row(
        schema_editor,
        "UPDATE strategies_strategy SET phrase_keys = strategies_phrase_keys(search_vector) "
        "WHERE search_vector IS NOT NULL",
    )
    schema_editor.execute(GIN_INDEX)
    schema_editor.execute("ANALYZE strategies_strategy")


def forward(apps, schema_editor):
    if _on_postgresql(schema_editor):
        _keys_recomputed(schema_editor, KEYS_FUNCTION)


def backward(apps, schema_editor):
    if _on_postgresql(schema_editor):
        _keys_recomputed(schema_editor, KEYS_FUNCTION_BEFORE)


class Migration(migrations.Migration):
    dependencies = [("strategies", "0016_skip_filter")]

    operations = [
        migrations.RunPython(filters_dropped, filters_restored),
        migrations.RemoveField(model_name="strategy", name="skip_filter"),
        migrations.RunPython(forward, backward),
    ]
