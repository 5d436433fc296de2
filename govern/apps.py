from django.apps import AppConfig


class GovernConfig(AppConfig):
    name = "govern"

    def ready(self) -> None:
        from govern import auth, checks  # noqa: F401  (login audit receivers, system checks)
