from django.urls import path

from . import views

app_name = "digests"
urlpatterns = [
    path("profile/digests/", views.profile, name="profile"),
    path("digests/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
