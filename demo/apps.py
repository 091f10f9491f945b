from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: seed_demo and the public retail files it loads. The top of the layering:
    it may import every app, and nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
