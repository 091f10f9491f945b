from django.urls import path

from aggregation import views

app_name = "aggregation"

urlpatterns = [path("add-account/", views.add_account, name="add_account")]
