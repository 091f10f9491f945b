from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("connections/", views.connections, name="connections"),
    path("permissions/", views.permissions, name="permissions"),
]
