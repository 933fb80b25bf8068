from django.db import migrations

# Summaries compressed with lz4 rather than pglz, where the server has it (PostgreSQL 14 and
# later, built with lz4, as Debian's and the official images are). Compressing a summary with
# pglz was about a fifth of an import's time in PostgreSQL; lz4 compresses several times faster
# and decompresses faster too, for about a sixth more space (5,000 of the benchmark's summaries,
# 28.9 MB as text: 18.7 MB with lz4, 15.9 MB with pglz). History entries copy the row's summary
# as it is stored, so theirs are lz4 too. Summaries written before keep pglz until they are next
# written; both read the same.
SUMMARY_COLUMNS = [
    ("strategies_strategy", "summary"),
    ("strategies_historicalstrategy", "summary"),
]

# Migration 0014's keys, the same values, about a fifth faster to compute: the positions are
# listed once and joined to themselves, rather than listed twice.
KEYS_FUNCTION = (
    "CREATE OR REPLACE FUNCTION strategies_phrase_keys(vector tsvector) RETURNS bigint[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "WITH positions AS MATERIALIZED (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) "
    "SELECT COALESCE(array_agg(DISTINCT hashtextextended(a.lexeme || ' ' || b.lexeme, 0)), '{}') "
    "FROM positions AS a JOIN positions AS b ON b.p = a.p + 1 $$"
)
KEYS_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION strategies_phrase_keys(vector tsvector) RETURNS bigint[] "
    "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ "
    "SELECT COALESCE(array_agg(DISTINCT hashtextextended(a.lexeme || ' ' || b.lexeme, 0)), '{}') "
    "FROM (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) AS a "
    "JOIN (SELECT lexeme, unnest(positions) AS p FROM unnest(vector)) AS b ON b.p = a.p + 1 $$"
)


def _has_lz4(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(schema_editor, method: str) -> None:
    quote = schema_editor.quote_name
    for table, column in SUMMARY_COLUMNS:
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ALTER COLUMN {quote(column)} SET COMPRESSION {method}"
        )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    if _has_lz4(schema_editor):
        _set_compression(schema_editor, "lz4")
    schema_editor.execute(KEYS_FUNCTION)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _set_compression(schema_editor, "DEFAULT")
    schema_editor.execute(KEYS_FUNCTION_BEFORE)


class Migration(migrations.Migration):
    dependencies = [("strategies", "0014_phrase_keys")]

    operations = [migrations.RunPython(forward, backward)]
