"""Portal pages of the accounts app for the tenant ADMIN: the team and the tenant's secrets; and,
under the team's URLs and names, an operator's route page (the wells app's: wells.route_views)."""

from django.urls import path

from wells import route_views

from . import views

app_name = "accounts"
urlpatterns = [
    path("team/", views.team_view, name="team"),
    path("team/invitations/", views.team_invite_view, name="invite"),
    path("team/invitations/<uuid:invitation_id>/revoke/", views.team_invitation_revoke_view, name="invitation_revoke"),
    path("invitation/", views.invitation_view, name="invitation"),
    path("invitation/<str:token>/", views.invitation_link_view, name="invitation_link"),
    path("password/forgot/", views.password_forgot_view, name="password_forgot"),
    path("password/reset/", views.password_reset_view, name="password_reset"),
    path("password/reset/<str:token>/", views.password_reset_link_view, name="password_reset_link"),
    path("team/<uuid:user_id>/role/", views.team_role_view, name="role"),
    path("team/<uuid:user_id>/deactivate/", views.team_deactivate_view, name="deactivate"),
    path("team/<uuid:user_id>/reactivate/", views.team_reactivate_view, name="reactivate"),
    path("team/<uuid:user_id>/route/", route_views.team_route_view, name="route"),
    path("team/<uuid:user_id>/route/remove/", route_views.team_route_remove_view, name="route_remove"),
    path("settings/secrets/", views.secrets_view, name="secrets"),
    path("settings/secrets/issue/", views.secret_issue_view, name="secret_issue"),
    path("settings/secrets/rotate/", views.secret_rotate_view, name="secret_rotate"),
    path("settings/secrets/new/", views.secret_shown_view, name="secret_shown"),
    path("settings/secrets/<uuid:secret_id>/expire/", views.secret_expire_view, name="secret_expire"),
]
