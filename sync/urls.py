from django.urls import path

from . import apis

app_name = "sync-api"
urlpatterns = [
    path("sync/batches", apis.BatchCreateApi.as_view(), name="batch-create"),
    path("sync/batches/<uuid:batch_id>", apis.BatchDetailApi.as_view(), name="batch-detail"),
    path("sync/photos/<uuid:photo_id>", apis.PhotoUploadApi.as_view(), name="photo-upload"),
    path("sync/changes", apis.ChangesApi.as_view(), name="changes"),
    path("sync/schemas", apis.SchemasApi.as_view(), name="schemas"),
    path("sync/policies", apis.PolicyListApi.as_view(), name="policy-list"),
    path("sync/policies/<str:event_type>", apis.PolicyUpdateApi.as_view(), name="policy-update"),
    path("conflicts/", apis.ConflictListApi.as_view(), name="conflict-list"),
    path("conflicts/<uuid:conflict_id>/resolve", apis.ConflictResolveApi.as_view(), name="conflict-resolve"),
]
