"""Portal pages of the wells app: wells list, well detail (the dashboard is "portal:dashboard")."""

from django.urls import path

from . import import_views, lease_views, views
from .alerts import views as alert_views

app_name = "wells"
urlpatterns = [
    path("wells/", views.well_list_view, name="list"),
    path("wells/<uuid:well_id>/", views.well_detail_view, name="detail"),
    path("imports/", import_views.import_upload_view, name="imports"),
    path("imports/confirm/", import_views.import_confirm_view, name="import-confirm"),
    path("leases/", lease_views.lease_list_view, name="leases"),
    path("leases/<uuid:lease_id>/", lease_views.lease_detail_view, name="lease-detail"),
    path("alerts/", alert_views.alerts_view, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", alert_views.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/rules/", alert_views.alert_rules_view, name="alert-rules"),
]
