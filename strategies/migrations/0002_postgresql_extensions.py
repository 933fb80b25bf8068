from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """pg_trgm for the misspelling fallback of full-text search (a no-op on SQLite)."""

    dependencies = [("strategies", "0001_initial")]

    operations = [TrigramExtension()]
