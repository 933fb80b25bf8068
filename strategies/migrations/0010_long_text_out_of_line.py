from django.db import migrations

# A strategy's row keeps its short fields in the table and its summary and word vector out of line
# (in the TOAST table): the table stays about ten times smaller, so what reads many rows without
# those two columns (a word search collecting the ids of 50,000 matches, the facet index, a page
# of results) reads a few megabytes instead of a hundred. The word vector is stored
# uncompressed, as a search that rereads vectors (phrases, ranking) decompresses nothing.
# The target leaves room for the short fields: below about 300 bytes PostgreSQL would move the
# titles out of line too, and sorting by title would then fetch each title for every comparison.
# Rows written before this migration move when they are next written, or all at once with
# `VACUUM FULL strategies_strategy` (see the README's operations section).
FORWARD = [
    "ALTER TABLE strategies_strategy SET (toast_tuple_target = 512)",
    "ALTER TABLE strategies_strategy ALTER COLUMN search_vector SET STORAGE EXTERNAL",
]
BACKWARD = [
    "ALTER TABLE strategies_strategy RESET (toast_tuple_target)",
    "ALTER TABLE strategies_strategy ALTER COLUMN search_vector SET STORAGE EXTENDED",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("strategies", "0009_sqlite_version_survives_flush")]

    operations = [migrations.RunPython(forward, backward)]
