"""URLs on the base domain (no tenant): the staff admin and a landing page. /healthz, /readyz and
/metrics are answered on every host before URL resolution (config.health)."""

from django.contrib import admin
from django.urls import path
from django.views.generic import TemplateView

from config import openapi_views


urlpatterns = [
    path("api/v1/schema/", openapi_views.schema_view, name="schema"),
    path("api/v1/docs/", openapi_views.docs_view, name="api-docs"),
    path("admin/", admin.site.urls),
    path("", TemplateView.as_view(template_name="tenants/landing.html"), name="landing"),
]
