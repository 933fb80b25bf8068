from django.db import migrations

import strategies.models

# The skip filter of a word vector (strategies/phrases.py): a Bloom filter of the pairs of words
# standing two positions apart, as a phrase with a stop word inside asks for them ("trafficking
# in persons" is `'traffick' <2> 'person'`). 4,096 bits in 64 blocks of 64: a pair's 64-bit hash
# (the phrase keys' hash) picks a block with its lowest 6 bits and sets three bits in it with the
# next three groups of 6. About 330 pairs set a fifth of the bits, so a strategy without a given
# pair lets it through about twice in a hundred times (2.3% measured at 100,000 strategies). The
# blocks are written as bigints, each high byte first, so that get_bit(filter, n) reads bit n % 8
# of byte n / 8.
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
# Whether a filter may hold a pair ('traffick person'): its three bits are all set. One
# expression, and not STRICT (AND is not), so that PostgreSQL inlines it and hashes a constant
# pair once per query.
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
SEARCH_VECTOR = (
    "setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') || "
    "setweight(to_tsvector('english', "
    "regexp_replace(COALESCE(NEW.summary, ''), '<[^>]+>', ' ', 'g')), 'B')"
)
# As migration 0014's, with the skip filter beside the keys.
TRIGGER_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; "
    "NEW.phrase_keys := strategies_phrase_keys(NEW.search_vector); "
    "NEW.skip_filter := strategies_skip_filter(NEW.search_vector); RETURN NEW; END $$"
)
TRIGGER_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION strategies_search_vector() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN "
    "IF current_setting('strategies.defer_search_vector', true) = 'on' THEN RETURN NEW; END IF; "
    f"NEW.search_vector := {SEARCH_VECTOR}; "
    "NEW.phrase_keys := strategies_phrase_keys(NEW.search_vector); RETURN NEW; END $$"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FILTER_FUNCTION)
    schema_editor.execute(HOLDS_FUNCTION)
    schema_editor.execute(TRIGGER_FUNCTION)
    # In the row itself, uncompressed: a phrase search reads the filters of tens of thousands of
    # rows, and out of line each would cost a lookup in the TOAST table. The filter's 516 bytes
    # raise the row's target (migration 0010) so that titles still stay in the row too.
    schema_editor.execute(
        "ALTER TABLE strategies_strategy ALTER COLUMN skip_filter SET STORAGE MAIN"
    )
    schema_editor.execute("ALTER TABLE strategies_strategy SET (toast_tuple_target = 1100)")
    # The rows already there (this UPDATE does not fire the vector's trigger). Each row it
    # rewrites gets new entries in every index; the full-text indexes collect theirs and merge
    # them once at the end, rather than every 4 MB (see services.index_merges_deferred()). The
    # setting lasts as long as the migration's transaction.
    schema_editor.execute("SELECT set_config('gin_pending_list_limit', '1GB', true)")
    schema_editor.execute(
        "UPDATE strategies_strategy SET skip_filter = strategies_skip_filter(search_vector) "
        "WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
        "WHERE i.indrelid = 'strategies_strategy'::regclass AND a.amname = 'gin'"
    )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(TRIGGER_FUNCTION_BEFORE)
    schema_editor.execute("ALTER TABLE strategies_strategy SET (toast_tuple_target = 512)")
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_skip_filter_holds(bytea, text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS strategies_skip_filter(tsvector)")


class Migration(migrations.Migration):
    dependencies = [("strategies", "0015_lz4_summaries_faster_phrase_keys")]

    operations = [
        migrations.AddField(
            model_name="strategy",
            name="skip_filter",
            field=strategies.models.SkipFilterField(editable=False, null=True, serialize=False),
        ),
        migrations.RunPython(forward, backward),
    ]
