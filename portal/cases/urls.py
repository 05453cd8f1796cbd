from django.urls import path

from portal.cases import views

app_name = "cases"
urlpatterns = [
    path("new/<str:token>", views.new, name="new"),
    path("<str:reference>", views.detail, name="detail"),
    path("<str:reference>/export", views.export, name="export"),
]
