from django.urls import path

from . import apis, team_apis

app_name = "accounts-api"
urlpatterns = [
    path("auth/login", apis.LoginApi.as_view(), name="login"),
    path("auth/refresh", apis.RefreshApi.as_view(), name="refresh"),
    path("auth/logout", apis.LogoutApi.as_view(), name="logout"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("team/invitations", team_apis.InvitationsApi.as_view(), name="invitations"),
    path("team/invitations/<uuid:invitation_id>", team_apis.InvitationDetailApi.as_view(), name="invitation"),
]
