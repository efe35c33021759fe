"""Portal pages of the wells app: wells list, well detail (the dashboard is "portal:dashboard")."""

from django.urls import path

from . import export_views, import_views, lease_views, report_views, views
from .alerts import views as alert_views

app_name = "wells"
urlpatterns = [
    path("wells/", views.well_list_view, name="list"),
    path("wells/<uuid:well_id>/", views.well_detail_view, name="detail"),
    path("imports/", import_views.import_upload_view, name="imports"),
    path("imports/confirm/", import_views.import_confirm_view, name="import-confirm"),
    path("leases/", lease_views.lease_list_view, name="leases"),
    path("leases/<uuid:lease_id>/", lease_views.lease_detail_view, name="lease-detail"),
    path("leases/<uuid:lease_id>/dispositions/", lease_views.disposition_add_view, name="disposition-add"),
    path("leases/<uuid:lease_id>/dispositions/<uuid:disposition_id>/withdraw/", lease_views.disposition_withdraw_view,
         name="disposition-withdraw"),
    path("leases/form-pr/", report_views.form_pr_view, name="form-pr"),
    path("leases/form-pr.csv", report_views.form_pr_csv_view, name="form-pr-csv"),
    # CSV exports (MANAGER+): wells.export_views.
    path("exports/", export_views.exports_view, name="exports"),
    path("exports/<str:kind>.csv", export_views.export_download_view, name="export-download"),
    path("alerts/", alert_views.alerts_view, name="alerts"),
    path("alerts/<uuid:alert_id>/acknowledge/", alert_views.alert_acknowledge_view, name="alert-acknowledge"),
    path("alerts/rules/", alert_views.alert_rules_view, name="alert-rules"),
]
