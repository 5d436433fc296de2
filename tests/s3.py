"""An S3 endpoint on loopback for the tests: moto's server, one fresh bucket per test."""

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.sandboxes.runner import free_port

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def storage_environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The environment that points a Govern process's media at the bucket."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "AWS_S3_ADDRESSING_STYLE": "path",
    }


@pytest.fixture
def s3_media(s3_endpoint: str, settings: Any) -> str:
    """Store this test's media in a fresh bucket, as MEDIA_STORAGE=s3 does; return its name."""
    bucket = f"govern-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    options = {
        **settings.MEDIA_BACKENDS["s3"]["OPTIONS"],
        "bucket_name": bucket,
        "endpoint_url": s3_endpoint,
        "region_name": REGION,
        "access_key": CREDENTIALS["aws_access_key_id"],
        "secret_key": CREDENTIALS["aws_secret_access_key"],
        "addressing_style": "path",
    }
    backend = {"BACKEND": settings.MEDIA_BACKENDS["s3"]["BACKEND"], "OPTIONS": options}
    settings.STORAGES = {**settings.STORAGES, "default": backend}
    return bucket


def object_names(endpoint: str, bucket: str) -> list[str]:
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))
