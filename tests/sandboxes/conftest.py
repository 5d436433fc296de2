"""One Exstream sandbox process for the session, emptied before each test that uses it."""

from collections.abc import Iterator

import pytest

from tests.sandboxes.runner import reset, start_exstream_sandbox, stop


@pytest.fixture(scope="session")
def exstream_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the sandbox once; its base URL, e.g. http://127.0.0.1:PORT (no trailing slash)."""
    base_url, process = start_exstream_sandbox(tmp_path_factory.mktemp("exstream"))
    yield base_url
    stop(process)


@pytest.fixture
def exstream(exstream_process: str) -> str:
    """The session's sandbox with no images, an empty write log and no faults."""
    reset(exstream_process)
    return exstream_process
