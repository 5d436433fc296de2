"""A production run in the Exstream sandbox, talking to Govern over HTTP as a real run would.

`POST /_sandbox/runs` with `{"template": "<exstream id>", "contexts": [{"region", "language",
"segment", "channel"}], "documents": 1000, "run_id": optional, "force": false,
"use_cached_manifest": false}`:
1. asks Govern's pre-flight for the template and contexts; a no-go stops the run (409) unless
   `force` (a production that did not wait for pre-flight);
2. reads Govern's manifest, or with `use_cached_manifest` the one it read on the template's
   previous run (a package built before a change);
3. "produces" each context with the version the manifest offers for it, most specific first;
4. reports the usage to Govern (`POST /api/v1/usage/runs/`) and answers with what Govern said;
5. with `"samples": true` (DAS mode), makes one document per context as Orchestration would
   (sandboxes/orchestration.py, with the output switches in force) and attaches it to the run
   (`POST /api/v1/usage/runs/{id}/samples/`), as a production keeping proofs of its output.
Govern's address and an integration API key come from the sandbox's options (the key from the
GOVERN_API_KEY environment variable, so it never shows in a process list).
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandboxes.common import Problem

TIMEOUT_SECONDS = 30
CONTEXT_FIELDS = ("region", "language", "segment", "channel")
# Makes the document of a template (its exstream id) for a context: the PDF and its name.
Producer = Callable[[str, dict[str, str]], tuple[bytes, str]]


@dataclass(frozen=True)
class Govern:
    url: str
    key: str

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - Govern's own configured URL
            f"{self.url.rstrip('/')}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return answer.status, _body(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read())
        except (urllib.error.URLError, TimeoutError) as error:
            raise Problem(502, "govern_unreachable", f"Govern did not answer: {error}") from None

    def upload(
        self, path: str, fields: dict[str, str], file_name: str, data: bytes
    ) -> tuple[int, Any]:
        """POST a multipart form with one `file` part, as a client attaching a document."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        head = "".join(parts) + (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file_name}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(  # noqa: S310 - Govern's own configured URL
            f"{self.url.rstrip('/')}{path}",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return answer.status, _body(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, _body(error.read())
        except (urllib.error.URLError, TimeoutError) as error:
            raise Problem(502, "govern_unreachable", f"Govern did not answer: {error}") from None


def _body(data: bytes) -> Any:
    """Govern answers JSON; anything else (a proxy's page) is kept as text for the report."""
    try:
        return json.loads(data or b"null")
    except ValueError:
        return data[:500].decode("utf-8", "replace")


def _checked(answer: tuple[int, Any], step: str) -> Any:
    status, body = answer
    if status >= 400:
        raise Problem(502, "govern_refused", f"{step}: Govern answered {status}: {body}")
    return body


def _fits(selectors: dict[str, Any], context: dict[str, str]) -> tuple[int, ...] | None:
    """Rank a manifest version for a context as Govern resolves, or None if it does not fit."""
    language = context.get("language", "")
    wanted = selectors.get("language") or ""
    if wanted and not (language == wanted or language.startswith(f"{wanted}-")):
        return None
    for name in ("region", "segment"):
        if selectors.get(name) and selectors[name] != context.get(name, ""):
            return None
    channels = selectors.get("channels") or []
    if channels and context.get("channel") not in channels:
        return None
    return (
        len(wanted),
        bool(selectors.get("region")),
        bool(selectors.get("segment")),
        bool(channels),
    )


def pick(versions: list[dict[str, Any]], context: dict[str, str]) -> dict[str, Any] | None:
    ranked = [(rank, v) for v in versions if (rank := _fits(v.get("variant") or {}, context))]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _contexts(body: dict[str, Any]) -> list[dict[str, str]]:
    contexts = body.get("contexts") or [{}]
    if not isinstance(contexts, list) or len(contexts) > 100:
        raise Problem(400, "invalid_request", "contexts must be a list of at most 100 objects")
    cleaned = []
    for context in contexts:
        if not isinstance(context, dict):
            raise Problem(400, "invalid_request", "each context must be an object")
        cleaned.append({name: str(context.get(name) or "") for name in CONTEXT_FIELDS})
    return cleaned


def _records(manifest: dict[str, Any], contexts: list[dict[str, str]], documents: int) -> list[Any]:
    counts: dict[tuple[Any, ...], int] = {}
    for binding in manifest.get("bindings", []):
        for context in contexts:
            chosen = pick(binding.get("versions", []), context)
            if chosen is not None:
                key = (chosen["version"], *(context[name] for name in CONTEXT_FIELDS))
                counts[key] = counts.get(key, 0) + documents
    return [
        {
            "version": key[0],
            **{"region": key[1], "language": key[2], "segment": key[3]},
            "channel": key[4] or "print",
            "documents": total,
            "pages": total * 2,
            "impressions": total,
        }
        for key, total in counts.items()
    ]


def attach_samples(
    govern: Govern, run: Any, template: str, contexts: list[dict[str, str]], produce: Producer
) -> list[dict[str, Any]]:
    """Make one document per context and attach it to Govern's run; return what Govern said."""
    if not isinstance(run, dict) or not isinstance(run.get("id"), int):
        return []
    said = []
    for number, context in enumerate(contexts, start=1):
        pdf, name = produce(template, context)
        fields = {key: value for key, value in context.items() if value}
        status, answer = govern.upload(
            f"/api/v1/usage/runs/{run['id']}/samples/", fields, f"{name}-{number}.pdf", pdf
        )
        said.append({"status": status, "answer": answer})
    return said


def production_run(
    govern: Govern, body: dict[str, Any], cache: Any, produce: Producer | None = None
) -> dict[str, Any]:
    """Run one production as described in the module docstring; return Govern's answers."""
    template = str(body.get("template") or "")
    documents = body.get("documents", 1000)
    if isinstance(documents, bool) or not isinstance(documents, int) or not 1 <= documents <= 10**9:
        raise Problem(400, "invalid_request", "documents must be a whole number from 1 to 10^9")
    query = urllib.parse.urlencode({"exstream_id": template})
    found = _checked(govern.call("GET", f"/api/v1/templates/?{query}"), "lookup")
    if not found.get("results"):
        raise Problem(404, "unknown_template", f"Govern knows no template {template}")
    template_id = found["results"][0]["id"]
    contexts = _contexts(body)
    preflight = _checked(
        govern.call(
            "POST",
            f"/api/v1/templates/{template_id}/preflight/",
            {"run_at": datetime.now(UTC).isoformat(), "contexts": contexts},
        ),
        "pre-flight",
    )
    started = datetime.now(UTC)  # after the clearance, as a run that waited for it
    if preflight["verdict"] != "go" and not body.get("force"):
        reasons = "; ".join(
            f"{reason.get('code')}: {reason.get('detail')}" for reason in preflight["reasons"]
        )
        raise Problem(409, "no_go", f"pre-flight said no-go: {reasons}")
    manifest = cache.get(template) if body.get("use_cached_manifest") else None
    if manifest is None:
        manifest = _checked(
            govern.call("GET", f"/api/v1/templates/{template_id}/manifest"), "manifest"
        )
        cache.put(template, manifest)
    records = _records(manifest, contexts, documents)
    if not records:
        raise Problem(
            409, "nothing_to_produce", "the manifest offers no version for these contexts"
        )
    report = {
        "run_id": str(body.get("run_id") or f"SBX-{uuid.uuid4().hex[:12]}"),
        "template": template,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(seconds=1)).isoformat(),
        "clearance": preflight["clearance"],
        "records": records,
    }
    status, answer = govern.call("POST", "/api/v1/usage/runs/", report)
    done = {"preflight": preflight, "report": report, "govern_status": status, "govern": answer}
    if body.get("samples") and produce is not None and status < 300:
        run = answer.get("run") if isinstance(answer, dict) else None
        done["samples"] = attach_samples(govern, run, template, contexts, produce)
    return done


def run_request(
    govern: Govern | None, body: bytes, cache: Any, produce: Producer | None = None
) -> dict[str, Any]:
    """Check a `POST /_sandbox/runs` body and run it; the same in either API mode."""
    if govern is None:
        raise Problem(409, "no_govern", "start the sandbox with --govern-url and GOVERN_API_KEY")
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        raise Problem(400, "invalid_request", "the body is not JSON") from None
    if not isinstance(request, dict):
        raise Problem(400, "invalid_request", "the body must be a JSON object")
    if request.get("samples") and produce is None:
        raise Problem(409, "no_orchestration", "samples are produced in the DAS mode only")
    return production_run(govern, request, cache, produce)
