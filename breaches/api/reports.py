"""(issue 14) Routes of this part are added here."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
