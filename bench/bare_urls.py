"""Bare DRF views for bench/wells_api.py and bench/serve.py (and /me there): the same selectors, serializer and pagination as the
wells API, for a fixed user, with no tenant resolution, authentication or permission classes."""

import os

from django.db import connection
from django.http import Http404
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import user_payload
from accounts.models import User
from accounts.selectors import navigation_for, permissions_for
from config.pagination import paginate
from wells import selectors
from wells.serializers import WellOutput

SCHEMA = os.environ["BENCH_SCHEMA"]
_users: dict[str, User] = {}


class FixedSchemaMiddleware:
    """Point the connection at the benchmark tenant's schema once (no per-request resolution)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if connection.schema_name != SCHEMA:
            connection.set_schema(SCHEMA)
        return self.get_response(request)


def _user(role: str) -> User:
    if role not in _users:
        _users[role] = User.objects.get(email=os.environ[f"BENCH_{role.upper()}_EMAIL"])
    return _users[role]


class BareList(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, role):
        return paginate(request, selectors.well_list(user=_user(role)), WellOutput)


class BareDetail(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, role, well_id):
        well = selectors.well_get_for_user(user=_user(role), well_id=well_id)
        if well is None:
            raise Http404
        return Response(WellOutput(well).data)


class BareMe(APIView):
    """/api/v1/me's body for a fixed user (bench/serve.py)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, role):
        user = _user(role)
        return Response({"user": user_payload(user), "role": user.role, "permissions": permissions_for(user=user),
                         "navigation": navigation_for(user=user)})


urlpatterns = [
    path("<str:role>/me", BareMe.as_view()),
    path("<str:role>/wells/", BareList.as_view()),
    path("<str:role>/wells/<uuid:well_id>/", BareDetail.as_view()),
]
