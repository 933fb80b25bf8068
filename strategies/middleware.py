"""Middleware of the public catalogue."""

from .models import CatalogueVersion

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class OneCatalogueVersionPerRequest:
    """A public read (a safe request outside the admin) sees one catalogue version: the facet
    index, the vocabularies and the count of synthetic strategies on a page all belong to the
    version read first, and it is read once rather than once per part. Writes and the admin read
    it afresh each time, as before."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request):
        if request.method not in SAFE_METHODS or request.path.startswith(self.admin_prefix):
            return self.get_response(request)
        with CatalogueVersion.pinned():
            return self.get_response(request)
