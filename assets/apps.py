from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        # Pillow warns above this many pixels and refuses above twice as many; uploads treat
        # the warning as a refusal too (assets/uploads.py).
        Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
