"""The list view writes its facets out directly; they must be what FacetsSerializer says."""

import json

from strategies.api.serializers import FacetsSerializer, facets_data
from strategies.search import FacetValue


def test_facets_data_equals_the_serializer_the_schema_documents():
    facets = {
        "year": [FacetValue("2019", "2019", 3)],
        "issue": [
            FacetValue("victims", "Victims", 4, children=[
                FacetValue("victims/protection", "Protection", 2, selected=True),
            ]),
        ],
        "article": [FacetValue("TIP-9", "Prevention of trafficking", 5, group="TIP")],
        "jurisdiction": [FacetValue("GBR", "United Kingdom", 7, selected=True)],
        "region": [FacetValue("150", "Europe", 7, children=[FacetValue("154", "Northern", 7)])],
        "crime_type": [FacetValue("drugs", "Drugs", 1)],
    }  # fmt: skip
    for names in (list(facets), ["issue"], ["article", "year"], []):
        some = {name: facets[name] for name in names}
        expected = json.dumps(FacetsSerializer(some).data)
        assert json.dumps(facets_data(some)) == expected
