from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from portal.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.SignInView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("cases", views.worklist_page, name="worklist"),
    path("cases/<str:reference>", views.case_page, name="case"),
    path("cases/<str:reference>/export", views.export, name="export"),
    re_path(r"^advice/(?P<advice_id>[0-9a-f]{24})/amend$", views.amend, name="amend"),
    path("dashboard", views.dashboard, name="dashboard"),
]
