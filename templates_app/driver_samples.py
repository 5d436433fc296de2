"""Driver data per context, kept by a template's owner for pre-flight's proofs: a small JSON
object or XML document (read with defusedxml: no entities, no DTD), one per context, replaced
by the next one given for the same context, every change audited."""

import hashlib
import json
from typing import Any

from defusedxml import DefusedXmlException, ElementTree
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from assets.selectors import clean_selectors
from audit.services import audit_record
from govern.access import require
from govern.roles import Capability
from templates_app.models import DriverSample, Template


def driver_kind(data: bytes) -> str:
    """Return the media type of driver data, JSON or XML, or raise ValidationError."""
    if len(data) > settings.DRIVER_SAMPLE_MAX_BYTES:
        limit = settings.DRIVER_SAMPLE_MAX_BYTES // 1000
        raise ValidationError({"file": f"Driver data may be at most {limit} KB."})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError({"file": "Driver data is UTF-8 text."}) from None
    if text.lstrip().startswith("<"):
        try:
            ElementTree.fromstring(data)
        except (ElementTree.ParseError, DefusedXmlException) as error:
            raise ValidationError({"file": f"The XML cannot be read: {error}"}) from None
        return "application/xml"
    try:
        parsed = json.loads(text)
    except ValueError:
        said = "Driver data is a JSON object or an XML document."
        raise ValidationError({"file": said}) from None
    if not isinstance(parsed, dict):
        raise ValidationError({"file": "JSON driver data is one object."})
    return "application/json"


def driver_sample_store(
    *,
    template: Template,
    data: bytes,
    file_name: str,
    actor: Any,
    data_source: str = "",
    **context: str,
) -> tuple[DriverSample, bool]:
    """Keep driver data for one context of the template (replacing what that context had)."""
    require(actor, Capability.EDIT_TEMPLATES, template.business_unit_id)
    kind = driver_kind(data)
    selectors = clean_selectors(
        language=context.get("language", ""),
        region=context.get("region", ""),
        segment=context.get("segment", ""),
        channels=[context["channel"]] if context.get("channel") else [],
    )
    values = {
        "media_type": kind,
        "data": data.decode("utf-8"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "file_name": file_name[:300],
        "data_source": (data_source or settings.EXSTREAM_DRIVER_SOURCE)[:200],
        "added_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    with transaction.atomic():
        sample, created = DriverSample.objects.update_or_create(
            template=template,
            region=selectors.region,
            language=selectors.language,
            segment=selectors.segment,
            channel=selectors.channels,
            defaults=values,
        )
        audit_record(
            action="template.driver_sample_stored",
            actor=actor,
            target=template,
            unit_id=template.business_unit_id,
            data={
                "template": template.exstream_id,
                "context": sample.context().describe(),
                "sha256": sample.sha256,
                "replaced": not created,
            },
        )
    return sample, created
