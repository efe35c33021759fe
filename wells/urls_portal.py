"""Portal pages of the wells app: dashboard, wells list, well detail."""

app_name = "wells"
urlpatterns: list = []
