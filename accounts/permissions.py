"""DRF permission classes backed by the role permissions of accounts/roles.py.

A role is a Django group holding Django permissions (``wells.add_well``...), so API views ask for
permissions, never for role names: changing what a role may do is a change to ROLE_PERMISSIONS only.

Status codes (API.md section 4), kept the same on every endpoint:

- a collection endpoint (``POST /wells/``) checks the method's permission before anything is
  looked up: 403 ``permission_denied`` when the role lacks it;
- an object endpoint (``/wells/{id}/``) first needs only the *read* permission, so that the view
  can look the object up through its selector (``wells_for_user``...) and answer 404 for anything
  the user may not see, whatever the method; the method's own permission is then checked on the
  object found (``view.check_object_permissions``): 403 for a write the user may not make on
  something they can see.

Usage::

    permission_classes = [permissions_required(GET="wells.view_well", POST="wells.add_well")]
    permission_classes = [object_permissions_required(GET="wells.view_well", PATCH="wells.change_well")]
    permission_classes = [roles_required(Role.ADMIN, Role.MANAGER)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rest_framework.permissions import BasePermission

# HEAD and OPTIONS reveal no more than GET does.
_SAME_AS_GET = ("HEAD", "OPTIONS")


def _normalise(perms: Mapping[str, str | Iterable[str]]) -> dict[str, tuple[str, ...]]:
    out = {}
    for method, codes in perms.items():
        out[method.upper()] = (codes,) if isinstance(codes, str) else tuple(codes)
    return out


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


class MethodPermissions(BasePermission):
    """Request-level: the Django permissions (all of them) that each HTTP method needs.

    A method the view implements but ``required`` does not name is refused (fail closed); a
    method the view does not implement is let through so that the view answers 405.
    """

    required: dict[str, tuple[str, ...]] = {}
    message = "You do not have permission to do this."

    def _needed(self, request, view) -> tuple[str, ...] | None:
        method = request.method.upper()
        if method in self.required:
            return self.required[method]
        if method in _SAME_AS_GET:
            return self.required.get("GET", ())
        if not hasattr(view, method.lower()):
            return ()  # the view answers 405
        return None  # implemented but not mapped: nobody may

    def _check(self, request, needed: tuple[str, ...] | None) -> bool:
        user = request.user
        if not _authenticated(user):
            return False
        if needed is None:
            return False
        missing = [code for code in needed if not user.has_perm(code)]
        if missing:
            role = getattr(user, "role", "") or "no role"
            self.message = f"Your role ({role}) may not do this (it needs {', '.join(missing)})."
            return False
        return True

    def has_permission(self, request, view) -> bool:
        return self._check(request, self._needed(request, view))


class ObjectMethodPermissions(MethodPermissions):
    """For endpoints about one object. Request-level, only the read permission (``GET``) is
    needed; the view then finds the object among those the user may see (404 otherwise) and calls
    ``check_object_permissions``, which needs the method's own permissions (403 otherwise).

    The object-level check asks for the role's (model-level) permission: which objects a user may
    see is the selector's business, decided before this runs."""

    def has_permission(self, request, view) -> bool:
        return self._check(request, self.required.get("GET", ()))

    def has_object_permission(self, request, view, obj) -> bool:
        return self._check(request, self._needed(request, view))


def permissions_required(**by_method: str | Iterable[str]) -> type[MethodPermissions]:
    """A permission class for a collection endpoint: ``permissions_required(GET=..., POST=...)``."""
    return type("MethodPermissions", (MethodPermissions,), {"required": _normalise(by_method)})


def object_permissions_required(**by_method: str | Iterable[str]) -> type[ObjectMethodPermissions]:
    """A permission class for an object endpoint; ``GET`` (the read permission) is required."""
    required = _normalise(by_method)
    if "GET" not in required:
        raise ValueError("An object endpoint names its read permission (GET=...): it gates the 404 lookup.")
    return type("ObjectMethodPermissions", (ObjectMethodPermissions,), {"required": required})


class RoleRequired(BasePermission):
    """Request-level: the user has one of ``roles``. Prefer permissions; this is for rules that
    really are about the role (e.g. "readable by MANAGER/ADMIN")."""

    roles: tuple[str, ...] = ()
    message = "Your role may not do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return _authenticated(user) and getattr(user, "role", "") in self.roles


def roles_required(*roles: str) -> type[RoleRequired]:
    return type("RoleRequired", (RoleRequired,), {"roles": tuple(roles)})
