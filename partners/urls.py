from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("connections/", views.connections, name="connections"),
    path("connections/new/", views.new_request, name="new_request"),
    path("connections/new/search/", views.partner_search, name="partner_search"),
    path("connections/new/invite/", views.invite_request, name="invite_request"),
    path("permissions/", views.permissions, name="permissions"),
    path("permissions/confirm/", views.permissions_confirm, name="permissions_confirm"),
    path("permissions/row/", views.permissions_row, name="permissions_row"),
    path("permissions/request/", views.permissions_request, name="permissions_request"),
    path("<int:partnership_id>/", views.detail, name="detail"),
    path("<int:partnership_id>/geography/", views.geography, name="geography"),
    path(
        "<int:partnership_id>/geography/region/",
        views.geography_add_region,
        name="geography_add_region",
    ),
    path("<int:partnership_id>/geography/upload/", views.geography_upload, name="geography_upload"),
    path("<int:partnership_id>/geography/all/", views.geography_all, name="geography_all"),
    path("<int:partnership_id>/geography/remove/", views.geography_remove, name="geography_remove"),
    # After the geography paths: "geography" is not an action.
    path("<int:partnership_id>/<slug:action>/", views.transition, name="transition"),
    path("respond/<str:token>/", views.respond, name="respond"),
    path("join/<str:token>/", views.join, name="join"),
]
