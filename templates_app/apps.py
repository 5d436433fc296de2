from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"

    def ready(self) -> None:
        from assets import consequences
        from templates_app.consequences import CONSEQUENCES

        consequences.register(CONSEQUENCES)  # what assets' decisions mean for templates
