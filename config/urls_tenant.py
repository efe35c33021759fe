"""URLs on a tenant (sub-domain or X-Tenant-ID): the API and the portal."""

from django.urls import include, path

from accounts import views as account_views
from config import openapi_views
from sync import field_views
from wells import views as wells_views

portal = (
    [path("", wells_views.dashboard_view, name="dashboard")],
    "portal",
)

urlpatterns = [
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("wells.urls")),
    path("api/v1/", include("sync.urls")),
    path("api/v1/schema/", openapi_views.schema_view, name="schema"),
    path("api/v1/docs/", openapi_views.docs_view, name="api-docs"),
    path("field/", field_views.field_shell, name="field"),
    path("field/sw.js", field_views.field_service_worker, name="field-sw"),
    path("login/", account_views.login_view, name="login"),
    path("logout/", account_views.logout_view, name="logout"),
    path("", include(portal)),
    path("", include("wells.urls_portal")),
    path("", include("accounts.urls_portal")),
    path("", include("sync.urls_portal")),
]
