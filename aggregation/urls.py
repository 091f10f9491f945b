from django.urls import path

from aggregation import views

app_name = "aggregation"

urlpatterns = [
    path("add-account/", views.add_account, name="add_account"),
    path("connections/", views.connections, name="connections"),
    path(
        "connections/<int:connection_id>/remove/", views.connection_remove, name="connection_remove"
    ),
    path("load/", views.load, name="load"),
    path("loads/<int:load_run_id>/", views.load_run, name="load_run"),
    path("plan/", views.plan, name="plan"),
    path("plan/export.csv", views.plan_export, name="plan_export"),
    path("plan/settings/", views.settings_page, name="settings"),
    path("matching/", views.matching, name="matching"),
    path("matching/decide/", views.matching_decide, name="matching_decide"),
    path(
        "matching/decisions/<int:match_decision_id>/undo/",
        views.matching_undo,
        name="matching_undo",
    ),
    path("items/<str:sku>/", views.item, name="item"),
    path("items/<str:sku>/children/", views.plan_children, name="plan_children"),
]
