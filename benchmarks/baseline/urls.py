from django.urls import path

from benchmarks.baseline.views import read_and_insert

urlpatterns = [path("read-insert/", read_and_insert)]
