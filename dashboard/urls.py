from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("regions/<str:code>/", views.region, name="region"),
    path("municipalities/<int:pk>/", views.municipality, name="municipality"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload_detail"),
]
