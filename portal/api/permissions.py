"""Scopes: each view names the scope each method needs (`required_scopes`), and the key must hold it."""

from rest_framework import exceptions, permissions

from portal.api.models import ApiKey


class HasScope(permissions.BasePermission):
    message = "This API key does not have the scope this request needs."

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiKey):
            raise exceptions.NotAuthenticated("Send an API key: 'Authorization: Api-Key <key>'.")
        needed = view.required_scopes.get(request.method)
        if needed is None:  # HEAD and OPTIONS need what GET needs
            needed = view.required_scopes.get("GET")
        if needed in request.auth.scopes:
            return True
        self.message = f"This API key does not have the scope '{needed}'."
        return False
