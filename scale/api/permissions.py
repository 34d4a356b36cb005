from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission


class ScaleAPIPermission(BasePermission):
    """Reads need a signed-in user unless SCALE_PUBLIC_READ_API is on; writes need a staff user.

    An anonymous request that is refused gets 401 (with WWW-Authenticate: Token), a signed-in
    non-staff user 403.
    """

    def has_permission(self, request, view):
        user = request.user
        if request.method in SAFE_METHODS:
            return settings.SCALE_PUBLIC_READ_API or bool(user and user.is_authenticated)
        return bool(user and user.is_authenticated and user.is_staff)
