"""What the API serves without a key: its schema and documentation (throttled per address), and a
problem document for any other address under /api/."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from portal.api.throttling import AnonymousRateThrottle

PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": [AnonymousRateThrottle]}


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request):
    raise NotFound("There is no API endpoint at this address. See /api/v1/docs/.")
