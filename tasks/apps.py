from django.apps import AppConfig


class TasksConfig(AppConfig):
    # Merchandising tasks. Celery functions live in <app>/jobs.py, never here.
    name = "tasks"
    verbose_name = "Merchandising tasks"

    def ready(self):
        from tasks import abilities

        abilities.register()
