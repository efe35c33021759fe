"""URLs on the base domain (no tenant): the staff admin and a landing page."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path
from django.views.generic import TemplateView

from config import openapi_views


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/schema/", openapi_views.schema_view, name="schema"),
    path("api/v1/docs/", openapi_views.docs_view, name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("", TemplateView.as_view(template_name="tenants/landing.html"), name="landing"),
]
