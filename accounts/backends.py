"""Object permissions: guardian's permissions, asked in one query per user and object."""

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connections, router
from django.db.models import Model
from guardian import backends as guardian_backends
from guardian.ctypes import get_content_type
from guardian.models import GroupObjectPermission, UserObjectPermission

_CACHE = "_accord_object_permissions"


class ObjectPermissionBackend(guardian_backends.ObjectPermissionBackend):
    """guardian's backend, answering `has_perm(perm, obj)` from one query, cached on the user.

    guardian's own checker runs two ORM queries (the user's and the groups' permissions on the
    object) for every call, about 3.5 ms; this one runs both as a single prepared UNION
    (about 0.6 ms) over the same guardian tables. The answer is kept on the user instance,
    like ModelBackend's `_perm_cache`, for as long as the request's user lives;
    `forget_permissions` drops it when a service changes the user's memberships. Everything
    else (granting, `get_objects_for_user`, the other backend methods) is guardian's.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        if not getattr(user_obj, "is_authenticated", False) or not isinstance(obj, Model):
            return super().has_perm(user_obj, perm, obj)
        if "." in perm:
            app_label, codename = perm.split(".", 1)
            if app_label != obj._meta.app_label:
                # guardian's own check (and WrongAppError) for a permission of another app.
                return super().has_perm(user_obj, perm, obj)
            perm = codename
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        return perm in object_permissions(user_obj, obj)


def object_permissions(user: Any, obj: Model) -> frozenset[str]:
    """The codenames `user` holds on `obj`, directly or through a group (cached on `user`)."""
    known = user.__dict__.setdefault(_CACHE, {})
    content_type = get_content_type(obj)
    key = (content_type.pk, str(obj.pk))
    if key not in known:
        alias = router.db_for_read(type(obj))
        with connections[alias].cursor() as cursor:
            cursor.execute(_permissions_sql(alias), [user.pk, content_type.pk, key[1]] * 2)
            known[key] = frozenset(codename for (codename,) in cursor.fetchall())
    return known[key]


@cache
def _permissions_sql(alias: str) -> str:
    tables = {
        "permission": Permission._meta.db_table,
        "user_perm": UserObjectPermission._meta.db_table,
        "group_perm": GroupObjectPermission._meta.db_table,
        "user_groups": get_user_model().groups.through._meta.db_table,
    }
    quote = connections[alias].ops.quote_name
    quoted = {name: quote(table) for name, table in tables.items()}
    return (  # noqa: S608 - the table names come from the models; values are parameters
        "SELECT p.codename FROM {user_perm} o JOIN {permission} p ON p.id = o.permission_id"
        " WHERE o.user_id = %s AND o.content_type_id = %s AND o.object_pk = %s"
        " UNION "
        "SELECT p.codename FROM {group_perm} o JOIN {permission} p ON p.id = o.permission_id"
        " JOIN {user_groups} ug ON ug.group_id = o.group_id"
        " WHERE ug.user_id = %s AND o.content_type_id = %s AND o.object_pk = %s"
    ).format(**quoted)


def forget_permissions(user: Any) -> None:
    """Drop the permissions cached on this user instance (after its groups changed)."""
    for attribute in (
        _CACHE,
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
        "_accord_roles",  # accounts.selectors.user_roles
    ):
        user.__dict__.pop(attribute, None)
