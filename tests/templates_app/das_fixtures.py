"""The Exstream sandbox speaking OpenText's Design (DAS) API, and Govern pointed at it."""

from collections.abc import Iterator
from typing import Any

import pytest

from templates_app.exstream import gateway
from tests.sandboxes.runner import reset, start_exstream_sandbox, stop


@pytest.fixture(scope="module")
def das_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base_url, process = start_exstream_sandbox(
        tmp_path_factory.mktemp("das"), api="das", domain=["govern", "quick:simple"]
    )
    yield base_url
    stop(process)


@pytest.fixture
def das_sandbox(das_process: str, settings: Any) -> Iterator[str]:
    """Govern pointed at the emptied DAS sandbox, as a service account of tenant govern."""
    reset(das_process)
    settings.EXSTREAM_API = "das"
    settings.EXSTREAM_URL = das_process
    settings.EXSTREAM_TOKEN_URL = f"{das_process}/otdsws/otdstenant/govern/oauth2/token"
    settings.EXSTREAM_CLIENT_ID = "govern"
    settings.EXSTREAM_USERNAME, settings.EXSTREAM_PASSWORD = "govern-service", "sandbox-password"
    settings.EXSTREAM_OTDS_SCOPE = "otds:groups"
    settings.EXSTREAM_DOMAIN = "govern"
    settings.EXSTREAM_TRANSPORT = "api"
    settings.EXSTREAM_BACKOFF_SECONDS = 0.01
    settings.EXSTREAM_RETRIES = 30
    gateway.reset()
    yield das_process
    gateway.reset()
