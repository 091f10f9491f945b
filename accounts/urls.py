from django.urls import path

from accounts import import_views, store_views, token_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/switch/", views.organization_switch, name="organization_switch"),
    path("settings/", views.organization_settings, name="organization_settings"),
    path("members/", views.members, name="members"),
    path("members/invite/", views.invite, name="invite"),
    path("members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("api-tokens/new/", token_views.api_token_create, name="api_token_create"),
    path("api-tokens/<int:api_token_id>/", token_views.api_token, name="api_token"),
    path("api-tokens/<int:api_token_id>/key/", token_views.api_token_key, name="api_token_key"),
    path(
        "api-tokens/<int:api_token_id>/revoke/",
        token_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path("stores/", store_views.stores, name="stores"),
    path("stores/new/", store_views.store_create, name="store_create"),
    path("stores/export.csv", store_views.stores_export, name="stores_export"),
    path("stores/filter/states/", store_views.store_filter_states, name="store_filter_states"),
    path("stores/<int:store_id>/", store_views.store_edit, name="store_edit"),
    path(
        "stores/<int:store_id>/open-close/", store_views.store_open_close, name="store_open_close"
    ),
    path("regions/", store_views.regions, name="regions"),
    path("regions/new/", store_views.region_create, name="region_create"),
    path("regions/export.csv", store_views.regions_export, name="regions_export"),
    path("regions/<int:region_id>/", store_views.region_detail, name="region_detail"),
    path("regions/<int:region_id>/edit/", store_views.region_edit, name="region_edit"),
    path("regions/<int:region_id>/delete/", store_views.region_delete, name="region_delete"),
    path(
        "regions/<int:region_id>/add-matching/",
        store_views.region_add_matching,
        name="region_add_matching",
    ),
    path("regions/<int:region_id>/upload/", store_views.region_upload, name="region_upload"),
    path(
        "regions/<int:region_id>/stores/<int:store_id>/remove/",
        store_views.region_remove_store,
        name="region_remove_store",
    ),
    path("imports/", import_views.imports, name="imports"),
    path("imports/<slug:kind>/upload/", import_views.import_upload, name="import_upload"),
    path("imports/<int:import_batch_id>/", import_views.import_detail, name="import_detail"),
    path(
        "imports/<int:import_batch_id>/mapping/", import_views.import_mapping, name="import_mapping"
    ),
    path(
        "imports/<int:import_batch_id>/reading/", import_views.import_reading, name="import_reading"
    ),
    path(
        "imports/<int:import_batch_id>/confirm/", import_views.import_confirm, name="import_confirm"
    ),
    path("imports/<int:import_batch_id>/cancel/", import_views.import_cancel, name="import_cancel"),
    path(
        "imports/<int:import_batch_id>/refresh/", import_views.import_refresh, name="import_refresh"
    ),
]
