"""The people of a bank using Govern at once (Locust; run by `make loadtest`, loadtest/run.py).

Officers decide in the queue (a regulated version signed with their password), designers
acknowledge their reviews and ask pre-flight, auditors export usage, and production reports
runs with its key. Each request is named by what the person does, so the report reads per
action. LOAD_STATE names the file loadtest/populate.py wrote. Runs in its own virtualenv: it
imports nothing of Govern.
"""

import itertools
import json
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, task

STATE: dict[str, Any] = json.loads(open(os.environ["LOAD_STATE"]).read())  # noqa: SIM115, PTH123
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_LINK = re.compile(r'href="/assets/versions/(\d+)/')
CHECKLIST = re.compile(r'name="checklist" value="([^"]+)"')
REVIEW = re.compile(r'name="review" value="(\d+)"')
CONTEXTS = [
    {"region": region, "language": language, "channel": channel}
    for region, language in (("DE", "de"), ("AT", "de"), ("GB", "en"))
    for channel in ("print", "email")
]
_names = {role: itertools.cycle(STATE[role]) for role in ("officers", "designers", "auditors")}
_runs = itertools.count(1)


class Person(HttpUser):
    """Someone who signs in with their password and then works in the browser."""

    abstract = True
    role = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username = next(_names[self.role])
        page = self.client.get("/login/", name="sign in: page")
        token = CSRF.search(page.text)
        with self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": STATE["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="sign in",
            catch_response=True,
        ) as answer:
            if answer.url.endswith("/login/"):  # shown the form again: not signed in
                answer.failure(f"{self.username} was not signed in")

    def form(self, page: str) -> dict[str, str]:
        token = CSRF.search(page)
        return {"csrfmiddlewaretoken": token.group(1) if token else ""}

    def post(self, path: str, data: Any, name: str) -> None:
        """Post a form; the page it leads to says whether it was done. Another person having
        done it first (a race the product answers with a message) is counted apart."""
        headers = {"Referer": f"{self.host}{path}"}
        with self.client.post(path, data, headers=headers, name=name, catch_response=True) as page:
            if '<li class="error">' in page.text:
                self.environment.events.request.fire(
                    request_type="POST",
                    name=f"{name}: refused (raced)",
                    response_time=page.elapsed.total_seconds() * 1000,
                    response_length=len(page.content),
                    exception=None,
                    context={},
                )
            if page.url.endswith("/login/"):
                page.failure("signed out")

    def api(self, path: str, body: Any, name: str) -> Any:
        token = self.client.cookies.get("csrftoken", "")
        headers = {"X-CSRFToken": token, "Referer": f"{self.host}/"}
        return self.client.post(path, json=body, headers=headers, name=name)


class Officer(Person):
    """A compliance officer working down the review queue."""

    role = "officers"
    weight = 15

    @task
    def decide(self) -> None:
        queue = self.client.get("/assets/review/", name="officer: queue")
        waiting = VERSION_LINK.findall(queue.text)
        if not waiting:
            return
        version = random.choice(waiting)  # noqa: S311 - who picks what, not secrets
        page = self.client.get(f"/assets/versions/{version}/", name="officer: version page")
        data = {**self.form(page.text), "checklist": CHECKLIST.findall(page.text), "comment": "ok"}
        if 'name="password"' in page.text:  # regulated: signed with the password again
            data.update(action="sign", meaning="approved", password=STATE["password"])
            name = "officer: approve, signed"
        else:
            data.update(action="approve")
            name = "officer: approve"
        self.post(f"/assets/versions/{version}/decide/", data, name)


class Designer(Person):
    """A communication designer clearing their inbox and asking pre-flight before a run."""

    role = "designers"
    weight = 15

    @task(2)
    def acknowledge(self) -> None:
        inbox = self.client.get("/templates/inbox/", name="designer: inbox")
        reviews = REVIEW.findall(inbox.text)[:5]
        if reviews:
            data = {**self.form(inbox.text), "review": reviews, "note": "checked the proof"}
            self.post("/templates/inbox/acknowledge/", data, "designer: acknowledge")

    @task(1)
    def preflight(self) -> None:
        template = random.choice(list(STATE["templates"].values()))  # noqa: S311
        body = {"run_at": _soon(), "contexts": CONTEXTS}
        self.api(f"/api/v1/templates/{template}/preflight/", body, "designer: pre-flight")


class Auditor(Person):
    """An auditor reading usage and taking it away as CSV."""

    role = "auditors"
    weight = 10
    wait_time = between(3, 8)

    @task(3)
    def usage(self) -> None:
        self.client.get("/usage/", name="auditor: usage page")

    @task(1)
    def export(self) -> None:
        with self.client.get(
            "/api/v1/usage/records/export?format=csv", name="auditor: export csv", stream=True
        ) as response:
            for _chunk in response.iter_content(65536):
                pass


class Production(HttpUser):
    """Exstream's production: pre-flight before a run, the run's report after it, by key."""

    weight = 10
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {STATE['production_key']}"

    @task
    def report_run(self) -> None:
        exstream_id, template = random.choice(list(STATE["templates"].items()))  # noqa: S311
        asked = self.client.post(
            f"/api/v1/templates/{template}/preflight/",
            json={"run_at": _soon(), "contexts": CONTEXTS[:2]},
            name="production: pre-flight",
        )
        clearance = asked.json().get("clearance") if asked.ok else None
        started = datetime.now(UTC) - timedelta(minutes=5)
        records = [
            {"version": version, **context, "documents": 1000, "pages": 2000, "impressions": 1000}
            for version in random.sample(STATE["approved"], 3)  # noqa: S311
            for context in CONTEXTS[:2]
        ]
        self.client.post(
            "/api/v1/usage/runs/",
            json={
                "run_id": f"load-{uuid.uuid4().hex[:12]}-{next(_runs)}",
                "template": exstream_id,
                "started_at": started.isoformat(),
                "finished_at": (started + timedelta(minutes=4)).isoformat(),
                "clearance": clearance if isinstance(clearance, int) else None,
                "records": records,
            },
            name="production: run report",
        )


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()
