"""API routes of the agencies app."""

urlpatterns: list = []
