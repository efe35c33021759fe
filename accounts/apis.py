"""Authentication endpoints: login, refresh, logout, me (API.md section 3)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ERROR, ApiError
from config.text_fields import NOT_BLANK, StrictCharField

from . import services
from .audit import Kind, Outcome, audit_record, client_address, user_agent
from .authentication import TenantSecretAuthentication
from .models import Role
from .openapi import TENANT_LAYERS_ONLY
from .selectors import navigation_for, permissions_for
from .tokens import RefreshReused, TokenInvalid, refresh_revoke, refresh_rotate, token_pair_issue

AUTH_ERRORS = {
    400: OpenApiResponse(ERROR, description="invalid_request or tenant_mismatch"),
    401: OpenApiResponse(ERROR, description="invalid_credentials (any layer) or token_expired"),
    403: OpenApiResponse(ERROR, description="tenant_suspended"),
    429: OpenApiResponse(ERROR, description="throttled (Retry-After header)"),
}


class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)


def user_payload(user) -> dict:
    """What UserOutput gives for ``user``, made directly: a serializer instance deep-copies its
    declared fields, the largest part of GET /api/v1/me's own work (tests/accounts compare the two)."""
    return {"id": str(user.id), "email": user.email, "name": user.name, "role": str(user.role)}


class LoginApi(APIView):
    authentication_classes = [TenantSecretAuthentication]
    permission_classes = [AllowAny]

    class LoginInput(serializers.Serializer):
        email = StrictCharField(max_length=254, validators=[NOT_BLANK])
        password = StrictCharField(max_length=1024, trim_whitespace=False)

    class LoginOutput(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()
        accessExpiresIn = serializers.IntegerField()
        user = UserOutput()
        permissions = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        summary="Log in with email and password (layers 1 and 2 in headers)",
        request=LoginInput, responses={200: LoginOutput, **AUTH_ERRORS}, auth=TENANT_LAYERS_ONLY,
    )
    def post(self, request):
        data = self.LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant_id = request.tenant_entry.public_id
        try:
            user = services.password_login(
                email=data.validated_data["email"], password=data.validated_data["password"],
                tenant_public_id=tenant_id, request=request._request, channel="api",
            )
        except services.LoginThrottled as exc:
            raise ApiError(429, "throttled", "Too many failed logins; try again later.",
                           headers={"Retry-After": str(exc.retry_after)}) from None
        except services.LoginFailed:
            raise ApiError(401, "invalid_credentials", "Invalid credentials.") from None
        pair = token_pair_issue(user=user, tenant_public_id=tenant_id,
                                address=client_address(request), user_agent=user_agent(request))
        return Response({
            "access": pair.access,
            "refresh": pair.refresh,
            "accessExpiresIn": pair.access_expires_in,
            "user": user_payload(user),
            "permissions": permissions_for(user=user),
        })


class RefreshInput(serializers.Serializer):
    refresh = StrictCharField(max_length=4096, validators=[NOT_BLANK])


class RefreshApi(APIView):
    authentication_classes = [TenantSecretAuthentication]
    permission_classes = [AllowAny]

    class RefreshOutput(serializers.Serializer):
        access = serializers.CharField()
        refresh = serializers.CharField()
        accessExpiresIn = serializers.IntegerField()

    @extend_schema(summary="Exchange a refresh token for a new pair (rotation; reuse revokes the family)",
                   request=RefreshInput, responses={200: RefreshOutput, **AUTH_ERRORS}, auth=TENANT_LAYERS_ONLY)
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            pair = refresh_rotate(refresh=data.validated_data["refresh"],
                                  tenant_public_id=request.tenant_entry.public_id,
                                  address=client_address(request), user_agent=user_agent(request))
        except RefreshReused as exc:
            audit_record(kind=Kind.REFRESH_REUSED, outcome=Outcome.FAILURE, request=request._request,
                         layer="3", user=exc.user, detail={"action": "token family revoked"})
            raise ApiError(401, "invalid_credentials", "Invalid credentials.") from None
        except TokenInvalid as exc:
            audit_record(kind=Kind.TOKEN_REJECTED, outcome=Outcome.FAILURE, request=request._request,
                         layer="3", detail={"reason": f"refresh: {str(exc)[:80]}"})
            raise ApiError(401, "invalid_credentials", "Invalid credentials.") from None
        return Response({"access": pair.access, "refresh": pair.refresh,
                         "accessExpiresIn": pair.access_expires_in})


class LogoutApi(APIView):
    authentication_classes = [TenantSecretAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(summary="Revoke a refresh token (and the tokens rotated from it)",
                   request=RefreshInput, responses={204: None, **AUTH_ERRORS}, auth=TENANT_LAYERS_ONLY)
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = refresh_revoke(refresh=data.validated_data["refresh"],
                                  tenant_public_id=request.tenant_entry.public_id)
        except TokenInvalid:
            raise ApiError(401, "invalid_credentials", "Invalid credentials.") from None
        audit_record(kind=Kind.LOGOUT, outcome=Outcome.SUCCESS, request=request._request, user=user)
        return Response(status=204)


class MeApi(APIView):
    class MeOutput(serializers.Serializer):
        user = UserOutput()
        role = serializers.CharField()
        permissions = serializers.ListField(child=serializers.CharField())
        navigation = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))

    @extend_schema(summary="The authenticated user, their role, permissions and portal navigation",
                   responses={200: MeOutput, **AUTH_ERRORS})
    def get(self, request):
        user = request.user
        return Response({
            "user": user_payload(user),
            "role": user.role,
            "permissions": permissions_for(user=user),
            "navigation": navigation_for(user=user),
        })
