from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("activity/", views.activity, name="activity"),
    path("o/<int:organization_id>/", views.task_list, name="list"),
    path("<int:task_id>/", views.detail, name="detail"),
    path("<int:task_id>/timeline/", views.timeline, name="timeline"),
    path("photos/<int:task_photo_id>/", views.photo, name="photo"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("visit/", views.visit_start, name="visit_start"),
    path("visit/check-in/", views.check_in, name="check_in"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:visit_id>/", views.visit, name="visit"),
    path("visits/<int:visit_id>/check-out/", views.check_out, name="check_out"),
]
