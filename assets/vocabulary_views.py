"""The vocabulary mapping page: every Smint.io key with its label, its use and its meaning."""

from collections import Counter
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_from_request
from django.views.decorators.http import require_POST

from assets.models import LicenseTerm, Vocabulary, VocabularyLabel, VocabularyMapping
from assets.services import vocabulary_map
from assets.smintio_mapping import in_language
from assets.vocabularies import CHECKS
from govern.access import acting_user, scope_for
from govern.roles import Capability

# The term lists each vocabulary's keys appear in: license_usages in allowed_/restricted_usages.
TERM_FIELDS = {
    vocabulary: (f"allowed_{name}", f"restricted_{name}")
    for vocabulary in Vocabulary
    if (name := vocabulary.value.removeprefix("license_"))
}


def _may_map(request: HttpRequest) -> bool:
    return request.user.is_staff or bool(
        scope_for(request).unit_ids_for(Capability.DECIDE_VERSIONS)
    )


def _term_counts() -> dict[str, Counter[str]]:
    """Count the active terms that use each key, per vocabulary (one query)."""
    counts: dict[str, Counter[str]] = {vocabulary: Counter() for vocabulary in TERM_FIELDS}
    fields = [name for names in TERM_FIELDS.values() for name in names]
    for row in LicenseTerm.objects.filter(active=True).values(*fields).iterator(chunk_size=2000):
        for vocabulary, names in TERM_FIELDS.items():
            for key in {key for name in names for key in (row[name] or [])}:
                counts[vocabulary][key] += 1
    return counts


def _rows(vocabulary: str, counts: Counter[str], language: str) -> list[dict[str, Any]]:
    mapped = dict(
        VocabularyMapping.objects.filter(vocabulary=vocabulary).values_list("key", "values")
    )
    labels: dict[str, dict[str, str]] = {}
    for key, culture, label in VocabularyLabel.objects.filter(vocabulary=vocabulary).values_list(
        "key", "culture", "label"
    ):
        labels.setdefault(key, {})[culture] = label
    keys = set(mapped) | set(labels) | set(counts)
    rows = [
        {
            "key": key,
            "label": in_language(labels.get(key, {}), language),
            "terms": counts.get(key, 0),
            "values": ", ".join(mapped.get(key, [])),
            "mapped": key in mapped,
        }
        for key in keys
    ]
    return sorted(rows, key=lambda row: (row["mapped"], -row["terms"], row["key"]))


@login_required
def vocabularies(request: HttpRequest) -> HttpResponse:
    """List every key of the judged vocabularies, unmapped first, with a form to map each."""
    if not _may_map(request):
        raise PermissionDenied("Only administrators and compliance officers map vocabularies.")
    counts = _term_counts()
    language = get_language_from_request(request)
    sections = [
        {
            "vocabulary": vocabulary,
            "label": label,
            "wanted": CHECKS[vocabulary][1],
            "rows": _rows(vocabulary, counts[vocabulary], language),
        }
        for vocabulary, label in Vocabulary.choices
    ]
    return render(request, "assets/vocabularies.html", {"sections": sections})


@login_required
@require_POST
def vocabulary_save(request: HttpRequest) -> HttpResponse:
    """Map one key to the values given (comma-separated), then show the page again."""
    try:
        mapping = vocabulary_map(
            vocabulary=request.POST.get("vocabulary", ""),
            key=request.POST.get("key", ""),
            values=request.POST.get("values", "").split(","),
            actor=acting_user(request),
        )
    except ValidationError as invalid:
        messages.error(request, "; ".join(invalid.messages))
    else:
        meaning = ", ".join(mapping.values) or "nothing Govern judges"
        messages.success(request, f"{mapping.key} now means {meaning}.")
    return redirect("assets:vocabularies")
