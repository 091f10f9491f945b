from django.urls import path

from aggregation import views

app_name = "aggregation"

urlpatterns = [
    path("add-account/", views.add_account, name="add_account"),
    path("connections/", views.connections, name="connections"),
    path(
        "connections/<int:connection_id>/remove/", views.connection_remove, name="connection_remove"
    ),
    path("connections/<int:connection_id>/edit/", views.connection_edit, name="connection_edit"),
    path("load/", views.load, name="load"),
    path("loads/<int:load_run_id>/", views.load_run, name="load_run"),
    path("stock/", views.stock, name="stock"),
    path("plan/", views.plan, name="plan"),
    path("plan/export.csv", views.plan_export, name="plan_export"),
    path("plan/settings/", views.settings_page, name="settings"),
    path("plan/settings/draft/", views.settings_draft, name="settings_draft"),
    path("plan/rules/", views.rules, name="rules"),
    path("plan/rules/<int:replenishment_rule_id>/delete/", views.rule_delete, name="rule_delete"),
    path("connections/<int:connection_id>/pool/", views.connection_pool, name="connection_pool"),
    path("items/<str:item>/", views.item, name="item"),
    path("items/<str:item>/override/", views.item_override, name="item_override"),
    path("items/<str:item>/children/", views.plan_children, name="plan_children"),
    path("plan/rates/", views.rates, name="rates"),
    path("plan/rates/<int:exchange_rate_id>/delete/", views.rate_delete, name="rate_delete"),
    path("matching/", views.matching, name="matching"),
    path("matching/decide/", views.matching_decide, name="matching_decide"),
    path(
        "matching/decisions/<int:match_decision_id>/undo/",
        views.matching_undo,
        name="matching_undo",
    ),
]
