"""The catalogue every browser test sees, small enough that the right answers are known by hand.

The sample SHERLOC page (GBR0007s: adopted 2018, tagged with ten crime types including drugs,
firearms, money laundering and cybercrime, and UNTOC articles 5 to 31) and five records made here,
plus a draft that must never show:

    ID         adopted  crime types                      articles
    DEU0001s   2021     firearms, drugs                  FAP-5, UNTOC-5
    FRA0001s   2020     corruption, cybercrime           UNTOC-5, TIP-9
    GBR0001s   2019     drugs, money-laundering          UNTOC-7, UNTOC-11
    ZAF0001s   2019     firearms                         FAP-5
    SADC0001s  -        drugs                            -
    GBR0003s   2022     drugs, firearms (draft)          UNTOC-11
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from taxonomy.loading import load_vocabularies
from taxonomy.models import CrimeType
from tests.conftest import SAMPLE_PAGE
from tests.strategies.factories import make_strategy

D = datetime.date

PUBLISHED = {"DEU0001s", "FRA0001s", "GBR0001s", "GBR0007s", "SADC0001s", "ZAF0001s"}
BY_CRIME_TYPE = {
    "drugs": {"DEU0001s", "GBR0001s", "GBR0007s", "SADC0001s"},
    "firearms": {"DEU0001s", "GBR0007s", "ZAF0001s"},
    "money-laundering": {"GBR0001s", "GBR0007s"},
}
# Titles or summaries with the word "firearms".
FIREARMS_WORD = {"DEU0001s", "GBR0007s", "ZAF0001s"}


@dataclass(frozen=True)
class TableCopy:
    table: str
    columns: list[str]
    rows: list[tuple]


@dataclass(frozen=True)
class VocabularyCopy:
    """The taxonomy app's tables, row for row, as load_vocabularies() left them.

    Loading the vocabularies takes seconds (hundreds of records, their history and the catalogue
    version triggers); putting the rows back after a flush takes a few milliseconds.
    """

    tables: list[TableCopy]

    @classmethod
    def take(cls) -> VocabularyCopy:
        if not CrimeType.objects.exists():  # an earlier transactional test flushed them
            load_vocabularies()
        tables = []
        with connection.cursor() as cursor:
            for model in apps.get_app_config("taxonomy").get_models(include_auto_created=True):
                table = model._meta.db_table
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                columns = [column[0] for column in cursor.description]
                tables.append(TableCopy(table, columns, cursor.fetchall()))
        return cls(tables)

    def restore(self) -> None:
        """Put the rows back into the (flushed) tables. Foreign keys are checked at commit, on
        SQLite as on PostgreSQL, so the order of the tables does not matter."""
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            for copy in self.tables:
                if copy.rows:
                    columns = ", ".join(quote(column) for column in copy.columns)
                    values = ", ".join(["%s"] * len(copy.columns))
                    cursor.executemany(
                        f"INSERT INTO {quote(copy.table)} ({columns}) VALUES ({values})", copy.rows
                    )


def build_catalogue(vocabularies: VocabularyCopy) -> None:
    # A transactional test starts from whatever the last one left: the vocabularies, or (after a
    # flush) nothing.
    if not CrimeType.objects.exists():
        vocabularies.restore()
    call_command("import_sherloc", str(SAMPLE_PAGE), stdout=io.StringIO())
    make_strategy(
        "DEU0001s",
        title="Firearms and Organised Crime Action Plan",
        status="published",
        adoption_date=D(2021, 9, 1),
        crime_types=["firearms", "drugs"],
        articles=["FAP-5", "UNTOC-5"],
        cross_cutting_issues=["prevention/risk-factors"],
    )
    make_strategy(
        "FRA0001s",
        title="Stratégie nationale contre la cybercriminalité",
        status="published",
        adoption_date=D(2020, 6, 1),
        language="fr",
        crime_types=["corruption", "cybercrime"],
        articles=["UNTOC-5", "TIP-9"],
        cross_cutting_issues=["prevention/awareness-raising"],
    )
    make_strategy(
        "GBR0001s",
        title="Economic Crime Plan",
        status="published",
        adoption_date=D(2019, 7, 1),
        crime_types=["drugs", "money-laundering"],
        articles=["UNTOC-7", "UNTOC-11"],
        cross_cutting_issues=["investigation/measures/access-to-financial-records"],
        summary="<p>Money laundering, fraud and the proceeds of crime.</p>",
    )
    make_strategy(
        "ZAF0001s",
        title="National Firearms Strategy",
        status="published",
        adoption_date=D(2019, 1, 1),
        crime_types=["firearms"],
        articles=["FAP-5"],
        cross_cutting_issues=["victims/victims-of-crime/rights/assistance-and-protection"],
        summary="<p>Marking, record-keeping and the destruction of illicit weapons.</p>",
    )
    make_strategy(
        "SADC0001s", title="Regional Drug Strategy", status="published", crime_types=["drugs"]
    )
    make_strategy(
        "GBR0003s",
        title="Draft Organised Crime Strategy",
        status="draft",
        adoption_date=D(2022, 1, 1),
        crime_types=["drugs", "firearms"],
        articles=["UNTOC-11"],
    )
