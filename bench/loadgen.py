"""A small closed-loop HTTP load generator: keep-alive connections in separate processes."""

import http.client
import multiprocessing
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _client(args: tuple[int, str, dict[str, str], float]) -> tuple[int, int, list[float]]:
    port, path, headers, seconds = args
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
        except (OSError, http.client.HTTPException):
            errors += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append((time.perf_counter() - started) * 1000)
    connection.close()
    return len(latencies), errors, latencies


def run_load(
    port: int, path: str, headers: dict[str, str], seconds: float, connections: int
) -> Load:
    """Keep `connections` requests in flight against one path for `seconds`."""
    jobs = [(port, path, headers, seconds)] * connections
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        results = pool.map(_client, jobs)
    latencies = [latency for _count, _errors, batch in results for latency in batch]
    return Load(
        requests=sum(count for count, _errors, _batch in results),
        errors=sum(errors for _count, errors, _batch in results),
        seconds=seconds,
        latencies_ms=latencies,
    )


def sequential(port: int, path: str, headers: dict[str, str], count: int, warmup: int = 5) -> Load:
    """Send `count` requests one after another on one connection and time each."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    for n in range(warmup + count):
        before = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            errors += 1
        if n >= warmup:
            latencies.append((time.perf_counter() - before) * 1000)
        if n == warmup - 1:
            started = time.perf_counter()
    connection.close()
    return Load(len(latencies), errors, time.perf_counter() - started, latencies)
