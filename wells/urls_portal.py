"""Portal pages of the wells app: wells list, well detail (the dashboard is "portal:dashboard")."""

from django.urls import path

from . import views

app_name = "wells"
urlpatterns = [
    path("wells/", views.well_list_view, name="list"),
    path("wells/<uuid:well_id>/", views.well_detail_view, name="detail"),
]
