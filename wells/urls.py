"""API routes of the wells app (API.md section 5); included under /api/v1/.

Ids in paths are plain strings here: a malformed id reaches the view (after authentication) and
is answered 404 like an unknown one, never a 500 and never before the credentials are checked."""

from django.urls import include, path

from . import apis, export_apis, import_apis, lease_apis

app_name = "wells-api"
urlpatterns = [
    path("wells/", apis.WellsApi.as_view(), name="well-list"),
    path("wells/<str:well_id>/", apis.WellDetailApi.as_view(), name="well-detail"),
    path("wells/<str:well_id>/equipment/", apis.WellEquipmentApi.as_view(), name="well-equipment"),
    path("wells/<str:well_id>/production/", apis.WellProductionApi.as_view(), name="well-production"),
    path("wells/<str:well_id>/readings/", apis.WellReadingsApi.as_view(), name="well-readings"),
    path("wells/<str:well_id>/inspections/", apis.WellInspectionsApi.as_view(), name="well-inspections"),
    path("wells/<str:well_id>/repairs/", apis.WellRepairsApi.as_view(), name="well-repairs"),
    path("wells/<str:well_id>/notes/", apis.WellNotesApi.as_view(), name="well-notes"),
    path("wells/<str:well_id>/photos/", apis.WellPhotosApi.as_view(), name="well-photos"),
    path("equipment/", apis.EquipmentCreateApi.as_view(), name="equipment-list"),
    path("equipment/<str:equipment_id>/", apis.EquipmentDetailApi.as_view(), name="equipment-detail"),
    # Leases and tanks (API.md section 13). The strapping path has no trailing slash, as the contract writes it.
    path("leases/", lease_apis.LeasesApi.as_view(), name="lease-list"),
    path("leases/<str:lease_id>/", lease_apis.LeaseDetailApi.as_view(), name="lease-detail"),
    path("tanks/", lease_apis.TanksApi.as_view(), name="tank-list"),
    path("tanks/<str:tank_id>/", lease_apis.TankDetailApi.as_view(), name="tank-detail"),
    path("tanks/<str:tank_id>/strapping", lease_apis.TankStrappingApi.as_view(), name="tank-strapping"),
    path("tanks/<str:tank_id>/gauges/", lease_apis.TankGaugesApi.as_view(), name="tank-gauges"),
    path("leases/<str:lease_id>/daily", lease_apis.LeaseDailyApi.as_view(), name="lease-daily"),
    path("run-tickets/", lease_apis.RunTicketsApi.as_view(), name="run-ticket-list"),
    path("run-tickets/<str:ticket_id>/", lease_apis.RunTicketDetailApi.as_view(), name="run-ticket-detail"),
    # Month close (API.md section 14): dispositions, the lease balance and Form PR.
    path("", include("wells.report_urls")),
    # CSV imports (API.md section 16): no trailing slash, as the contract writes them.
    path("imports/wells", import_apis.WellsImportApi.as_view(), name="import-wells"),
    path("imports/equipment", import_apis.EquipmentImportApi.as_view(), name="import-equipment"),
    path("imports/tanks", import_apis.TanksImportApi.as_view(), name="import-tanks"),
    # CSV exports (API.md section 14, MANAGER+): wells.export_apis.
    path("exports/production.csv", export_apis.ExportProductionApi.as_view(), name="export-production"),
    path("exports/readings.csv", export_apis.ExportReadingsApi.as_view(), name="export-readings"),
    path("exports/run-tickets.csv", export_apis.ExportRunTicketsApi.as_view(), name="export-run-tickets"),
    path("exports/tank-gauges.csv", export_apis.ExportTankGaugesApi.as_view(), name="export-tank-gauges"),
    # Alerts and their rules (API.md section 15): wells.alerts.
    path("", include("wells.alerts.urls")),
]
