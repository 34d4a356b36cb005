"""The signed-in user: GET /v6/accounts/profile/, and browser sign-in at /accounts/login/.

The Scale web UI, with its authentication on, first asks for the profile: a truthy body means signed
in (its `is_staff` shows or hides every write button); a 401 sends the browser to the sign-in page
with `?next=<the page's whole URL>`. Signing in sets the session cookie and a new `csrftoken`
cookie, which the UI copies into `X-CSRFToken` on every write (DRF's session authentication checks
it; token clients need none).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView, LogoutView
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class ProfileSerializer(serializers.ModelSerializer):
    """The fields of Scale's profile: who the user is and whether they may write."""

    class Meta:
        model = get_user_model()
        fields = ('id', 'username', 'first_name', 'last_name', 'email', 'is_staff')
        read_only_fields = fields


@method_decorator(ensure_csrf_cookie, name='dispatch')
class Profile(APIView):
    """The signed-in user (token or session); 401 when anonymous, even when reads are public: there
    is no one to describe. It also (re)sets the `csrftoken` cookie the UI's writes need."""

    permission_classes = (IsAuthenticated,)
    filter_backends = ()
    serializer_class = ProfileSerializer

    def get(self, request):
        return Response(ProfileSerializer(request.user).data)


def _raw_next(request):
    """The UI appends its own URL unencoded (`?next=http://host/processing/jobs?status=A&page=2`), so
    a plain parse would cut it at its first `&`. When the query string starts with `next=` and the
    rest was visibly not percent-encoded (it holds a raw `?` or `&`), the rest is the URL."""
    query = request.META.get('QUERY_STRING', '')
    if query.startswith('next='):
        rest = query[len('next=') :]
        if '?' in rest or '&' in rest:
            return rest
    return request.GET.get('next', '')


class SignIn(LoginView):
    """A username and password form; on success the session starts and the browser goes to `next`
    when it is on this host (else to LOGIN_REDIRECT_URL)."""

    template_name = 'scale/sign_in.html'

    def get_redirect_url(self):
        """`next` of the form (a hidden field carrying what the page was opened with), else of the
        query string; '' unless it stays on this host."""
        request = self.request
        url = request.POST['next'] if 'next' in request.POST else _raw_next(request)
        safe = url_has_allowed_host_and_scheme(
            url, allowed_hosts=self.get_success_url_allowed_hosts(), require_https=request.is_secure()
        )
        return url if safe else ''


class SignOut(LogoutView):
    """POST ends the session and shows the sign-in page again."""

    next_page = settings.LOGIN_URL
