"""The catalogue's HTTP API (/api/v1/), its OpenAPI schema and its docs page.

A face like the HTML pages: it parses requests with the shared `StrategyFilterSet`, asks the query
layer (`strategies.search`) and writes through `strategies.services`; it never imports the HTML
views, nor they it.
"""
