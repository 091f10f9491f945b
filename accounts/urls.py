from django.urls import path

from accounts import views

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
    path("stores/", views.stores, name="stores"),
]
