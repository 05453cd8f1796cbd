"""`Authorization: Api-Key <key>`: the API's only authentication (the portal's pages keep sessions with CSRF)."""

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from portal.api.models import ApiKey

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """request.auth is the ApiKey; request.user is the clinician it is bound to, else anonymous."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Api-Key <key>'.")
        api_key = ApiKey.find(header[1])
        if api_key is None:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        return (api_key.clinician or AnonymousUser(), api_key)

    def authenticate_header(self, request):
        """Makes DRF answer 401 (with WWW-Authenticate), not 403, when the key is missing or wrong."""
        return KEYWORD
