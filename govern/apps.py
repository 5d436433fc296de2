from django.apps import AppConfig


class GovernConfig(AppConfig):
    name = "govern"

    def ready(self) -> None:
        from govern import auth  # noqa: F401  (connects the login audit receivers)
