"""Optional read replicas: with DATABASE_REPLICA_URL set, public reads go to the replica.

Only safe requests (GET, HEAD, OPTIONS) outside the admin may read from the replica; writes, the
admin, management commands and everything else use the primary, so an editor always sees what
they just saved and no transaction mixes the two.
"""

import contextvars

from django.conf import settings

_replica_allowed = contextvars.ContextVar("replica_allowed", default=False)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ADMIN_PREFIX = "/admin/"


def is_public_read(request) -> bool:
    """A safe request outside the admin: a reader's, which may see the catalogue as a replica or
    a pinned version has it, rather than as the primary has it this instant."""
    return request.method in SAFE_METHODS and not request.path.startswith(ADMIN_PREFIX)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if _replica_allowed.get() and "replica" in settings.DATABASES:
            return "replica"
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same data as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica_allowed.set(is_public_read(request))
        try:
            return self.get_response(request)
        finally:
            _replica_allowed.reset(token)
