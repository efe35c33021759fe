"""API routes of the wells app (API.md section 5); included under /api/v1/."""

app_name = "wells-api"
urlpatterns: list = []
