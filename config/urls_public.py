"""URLs on the base domain (no tenant): the staff admin and a landing page."""

from django.contrib import admin
from django.http import JsonResponse
from django.urls import path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/schema/", SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]), name="schema"),
    path("api/v1/docs/", SpectacularRedocView.as_view(url_name="schema", authentication_classes=[], permission_classes=[]), name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", health, name="health"),
    path("", TemplateView.as_view(template_name="tenants/landing.html"), name="landing"),
]
