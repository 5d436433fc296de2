from django.apps import AppConfig


class GovernConfig(AppConfig):
    name = "govern"

    def ready(self) -> None:
        from django.contrib.auth.models import User

        from govern import auth, checks, openapi  # noqa: F401  (receivers, checks, schema)
        from govern.identity import sessions  # noqa: F401  (receivers)
        from govern.usernames import UsernameRule

        # One rule for usernames in the admin, createsuperuser and every model form.
        field = User._meta.get_field("username")
        if not any(isinstance(v, UsernameRule) for v in field.validators):
            field.validators.append(UsernameRule())
