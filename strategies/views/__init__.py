"""The public, server-rendered faces of the catalogue. Each view translates HTTP to the query
layer (strategies.search, through strategies.filters) and back; none holds search logic."""
