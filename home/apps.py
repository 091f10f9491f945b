from django.apps import AppConfig


class HomeConfig(AppConfig):
    # The home page of each kind of organization: it reads every app, so it sits above them.
    name = "home"
    verbose_name = "Home"
