"""Which Exstream contract a push speaks: OpenText's DAS API (das.py) or Govern's own proxy
contract (client.py), as EXSTREAM_API says."""

from typing import Any

from django.conf import settings

from templates_app.exstream import client, das
from templates_app.exstream.client import ImageVersion


def push_image(
    *, name: str, data: bytes, media_type: str, properties: dict[str, Any], key: str
) -> ImageVersion:
    """Put the bytes into Exstream as an approved version of `name`, exactly once per key."""
    if settings.EXSTREAM_API == "das":
        pushed = das.gateway().push(
            name=name, data=data, media_type=media_type, key=key, sha256=properties["sha256"]
        )
        return pushed.image()
    return client.push_image(
        name=name, data=data, media_type=media_type, properties=properties, key=key
    )


def templates() -> list[dict[str, Any]]:
    """Exstream's templates with the images and components they use, as the import reads them:
    DAS's approved communications and components and their links, or the proxy's /templates."""
    if settings.EXSTREAM_API == "das":
        return das.gateway().templates()
    return client.client().templates()


def reset() -> None:
    """Forget both contracts' shared clients (settings changed, in tests)."""
    client.reset_client()
    das.reset_gateway()
