"""HTML routes of the agencies app (the directory, people and roles pages arrive with the agencies issue)."""

urlpatterns: list = []
