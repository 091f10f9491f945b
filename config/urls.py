from django.contrib import admin
from django.urls import include, path

from config import api
from core import health
from home import views as home_views

admin.site.site_header = "Shelfshare administration"
admin.site.site_title = "Shelfshare admin"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("account/", include("accounts.urls")),
    path("partners/", include("partners.urls")),
    path("inventory/", include("inventory.urls")),
    path("tasks/", include("tasks.urls")),
    path("load-data/", include("aggregation.urls")),
    path("api/v1/", api.urls()),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
