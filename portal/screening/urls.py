from django.urls import path

from portal.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("upload", views.upload, name="upload"),
    path("result/<str:token>", views.result, name="result"),
]
