"""Portal pages of the wells app: wells list, well detail (the dashboard is "portal:dashboard")."""

from django.urls import path

from . import export_views, lease_views, views
from .alerts import views as alert_views

app_name = "wells"
urlpatterns = [
    path("wells/", views.well_list_view, name="list"),
    path("wells/<uuid:well_id>/", views.well_detail_view, name="detail"),
    path("leases/", lease_views.lease_list_view, name="leases"),
    path("leases/<uuid:lease_id>/", lease_views.lease_detail_view, name="lease-detail"),
    # CSV exports (MANAGER+): wells.export_views.
    path("exports/", export_views.exports_view, name="exports"),
    path("exports/<str:kind>.csv", export_views.export_download_view, name="export-download"),
    path("alerts/", alert_views.alerts_view, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", alert_views.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/rules/", alert_views.alert_rules_view, name="alert-rules"),
]
