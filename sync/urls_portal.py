from django.urls import path

from . import views

app_name = "sync"
urlpatterns = [
    path("conflicts/", views.conflicts_view, name="conflicts"),
    path("conflicts/<uuid:conflict_id>/resolve/", views.conflict_resolve_view, name="resolve"),
]
