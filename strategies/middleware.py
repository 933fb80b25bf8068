"""Middleware of the public catalogue."""

from sherlock.routers import is_public_read

from .models import CatalogueVersion


class OneCatalogueVersionPerRequest:
    """A public read (a safe request outside the admin) sees one catalogue version: the facet
    index, the vocabularies and the count of synthetic strategies on a page all belong to the
    version read first, and it is read once rather than once per part. Writes and the admin read
    it afresh each time, as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_public_read(request):
            return self.get_response(request)
        with CatalogueVersion.pinned():
            return self.get_response(request)
