from django.urls import path

from .views import home

app_name = "strategies"

urlpatterns = [
    path("", home.home, name="home"),
]
