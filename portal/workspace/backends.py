"""Django's ModelBackend, reading permission names without a join projection.

ModelBackend reads "app_label.codename" with values_list("content_type__app_label", ...). On this
backend that is a $lookup followed by a nested $project, which SecantusDB (the stand-in used locally
and in tests) answers with the projection's 1s instead of the values, so no one but a superuser
would hold a permission there. Reading the content type's id and finding its app label through
ContentType's cache gives the same answer on MongoDB and on SecantusDB.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from portal.workspace import lockout


class JoinFreeModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        """No password is checked while a sign-in lockout holds, wherever the attempt comes from (the
        workspace's page says so with a 429 first; the admin's shows its usual error)."""
        if request is not None and lockout.locked_until(username or "", lockout.client_address(request)):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def _get_permissions(self, user_obj, obj, from_name):
        """As ModelBackend's, but `content_type_id` instead of `content_type__app_label`."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cache_name = f"_{from_name}_perm_cache"
        if not hasattr(user_obj, cache_name):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = getattr(self, f"_get_{from_name}_permissions")(user_obj)
            names = perms.values_list("content_type_id", "codename").order_by()
            app_label = {content_type.pk: content_type.app_label for content_type in ContentType.objects.all()}
            setattr(user_obj, cache_name, {f"{app_label[content_type]}.{codename}" for content_type, codename in names})
        return getattr(user_obj, cache_name)
