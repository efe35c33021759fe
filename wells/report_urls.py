"""API routes of the month close (API.md section 14); included by wells.urls under /api/v1/.
The report paths have no trailing slash, as the contract writes them."""

from django.urls import path

from . import report_apis

urlpatterns = [
    path("dispositions/", report_apis.DispositionsApi.as_view(), name="disposition-list"),
    path("dispositions/<str:disposition_id>/", report_apis.DispositionDetailApi.as_view(), name="disposition-detail"),
    path("reports/lease-balance", report_apis.LeaseBalanceApi.as_view(), name="report-lease-balance"),
    path("reports/form-pr", report_apis.FormPrApi.as_view(), name="report-form-pr"),
]
