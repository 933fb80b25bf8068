"""Who may do what: anyone reads published strategies; editors write, and read drafts."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly

CHANGE_STRATEGY = "strategies.change_strategy"


def can_read_drafts(user) -> bool:
    """Editors who may change strategies see drafts everywhere: lists, records, exports."""
    return bool(user and user.is_authenticated and user.has_perm(CHANGE_STRATEGY))


class EditorsWrite(DjangoModelPermissionsOrAnonReadOnly):
    """Reads for all; POST needs `add_strategy`, PUT and PATCH `change_strategy`.

    DRF's mapping, with the one difference that HTTP methods the view does not offer are left to
    the view's 405 rather than refused as 403 first.
    """

    def has_permission(self, request, view):
        if not hasattr(view, request.method.lower()):
            return True
        return super().has_permission(request, view)
