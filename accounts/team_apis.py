"""Invitations API (API.md section 16), ADMIN only:

- ``POST /api/v1/team/invitations`` ``{"email", "role"}`` → 201 the invitation; the invitee gets an
  e-mail with a one-time link (72 hours) to set a password on the tenant's sub-domain. An e-mail
  that already has an account here is 400 with ``details.email``; a pending invitation of the same
  e-mail is replaced. 503 ``unavailable`` when the e-mail could not be sent (nothing is kept).
- ``GET /api/v1/team/invitations`` → ``{"results": [...]}``, the pending ones.
- ``DELETE /api/v1/team/invitations/{id}`` → 204; 404 for an unknown id, 409 when no longer pending.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ERROR, ApiError
from config.text_fields import NOT_BLANK, StrictCharField

from . import account_links
from .models import AccountLink, Role
from .permissions import permissions_required

MANAGE_TEAM = "accounts.manage_team"
def _errors(*, bad: str, body: bool = False) -> dict:
    """The error responses, all in the API.md section 1 shape (as wells.apis.errors words them)."""
    with_body = {
        413: OpenApiResponse(ERROR, description="request_too_large: the body is over 1 MiB (the limit in details)"),
        415: OpenApiResponse(ERROR, description="unsupported_media_type: the body is not application/json"),
    } if body else {}
    return {**with_body,
            400: OpenApiResponse(ERROR, description=f"invalid_request: {bad}; details holds the messages per field. "
                                                    "Or tenant_mismatch."),
            401: OpenApiResponse(ERROR, description="invalid_credentials (any layer) or token_expired"),
            403: OpenApiResponse(ERROR, description="permission_denied: not an ADMIN. Or tenant_suspended."),
            404: OpenApiResponse(ERROR, description="not_found: no such invitation; or an unknown tenant sub-domain"),
            429: OpenApiResponse(ERROR, description="throttled (Retry-After header)")}


class InvitationInput(serializers.Serializer):
    email = StrictCharField(max_length=254, validators=[NOT_BLANK])
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    invitedBy = serializers.CharField(source="created_by")
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at")


def _service_error(exc: ValidationError) -> ApiError:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"nonFieldErrors": exc.messages}
    return ApiError(400, "invalid_request", "The request is not valid; see details.", details=details)


class InvitationsApi(APIView):
    permission_classes = [permissions_required(GET=MANAGE_TEAM, POST=MANAGE_TEAM)]

    @extend_schema(operation_id="team_invitations_list", tags=["team"],
                   summary="Pending invitations (ADMIN): not used, revoked or expired",
                   responses={200: inline_serializer("InvitationList", {"results": InvitationOutput(many=True)}),
                              **_errors(bad="a malformed tenant header")})
    def get(self, request):
        return Response({"results": InvitationOutput(account_links.invitations_pending(), many=True).data})

    @extend_schema(operation_id="team_invitations_create", tags=["team"],
                   summary="Invite an e-mail with a role (ADMIN): a one-time link, valid 72 hours, is e-mailed",
                   request=InvitationInput,
                   responses={201: InvitationOutput,
                              **_errors(bad="a malformed e-mail, an unknown role, or an e-mail that already has an "
                                            "account in this tenant (details.email)", body=True),
                              503: OpenApiResponse(ERROR, description="unavailable: the e-mail could not be sent")})
    def post(self, request):
        data = InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            link = account_links.invitation_create(email=data.validated_data["email"],
                                                   role=data.validated_data["role"],
                                                   actor=request.user.email, request=request._request)
        except ValidationError as exc:
            raise _service_error(exc) from None
        except account_links.EmailNotSent:
            raise ApiError(503, "unavailable", "The invitation e-mail could not be sent; try again later.") from None
        return Response(InvitationOutput(link).data, status=201)


class InvitationDetailApi(APIView):
    permission_classes = [permissions_required(GET=MANAGE_TEAM, DELETE=MANAGE_TEAM)]

    @extend_schema(operation_id="team_invitations_revoke", tags=["team"],
                   summary="Revoke a pending invitation (ADMIN): its link stops working",
                   responses={204: None, **_errors(bad="a malformed tenant header"),
                              409: OpenApiResponse(ERROR, description="conflict: already used, revoked or expired")})
    def delete(self, request, invitation_id):
        if not AccountLink.objects.filter(pk=invitation_id, purpose=AccountLink.Purpose.INVITATION).exists():
            raise ApiError(404, "not_found", "No such invitation.")
        try:
            account_links.invitation_revoke(invitation_id=invitation_id, actor=request.user.email,
                                            request=request._request)
        except ValidationError as exc:
            raise ApiError(409, "conflict", " ".join(exc.messages)) from None
        return Response(status=204)
