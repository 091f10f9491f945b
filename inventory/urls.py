from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("shared/", views.shared, name="shared"),
    path("activity/", views.activity, name="activity"),
    path("o/<int:organization_id>/", views.stock_page, name="stock"),
    path("o/<int:organization_id>/totals/", views.totals, name="totals"),
    path("o/<int:organization_id>/export.csv", views.export, name="export"),
    path("o/<int:organization_id>/products/<int:product_id>/", views.product, name="product"),
    path("stock/<int:stock_id>/adjust/", views.adjust, name="adjust"),
    path("sell-through/", views.sell_through, name="sell_through"),
    path("sell-through/export.csv", views.sell_through_export, name="sell_through_export"),
]
