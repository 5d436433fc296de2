"""Exstream's own view as a cross-check of Govern's where-used graph: the communications that
use an asset's image resources according to DAS's recursive links, beside the communications
Govern's bindings and components say use it. A communication Exstream uses the logo in that
Govern does not know of is exactly what the impact of a change would miss.
"""

from dataclasses import dataclass, field

from django.conf import settings

from assets.models import Asset
from templates_app import graph
from templates_app.exstream import das
from templates_app.exstream.client import ExstreamError
from templates_app.models import Delivery, DeliveryState, Template, TemplateKind


@dataclass(frozen=True)
class CrossCheck:
    exstream: list[str] = field(default_factory=list)  # communications, by their DAS name
    govern: list[str] = field(default_factory=list)  # communications, by their Exstream id
    resources: int = 0  # the asset's image resources Govern pushed
    problem: str = ""

    @property
    def only_exstream(self) -> list[str]:
        return sorted(set(self.exstream) - set(self.govern))

    @property
    def only_govern(self) -> list[str]:
        return sorted(set(self.govern) - set(self.exstream))


def resource_ids(asset: Asset) -> list[str]:
    """The DAS resources Govern pushed the asset's renditions into (from the deliveries)."""
    references = Delivery.objects.filter(
        version__variant__asset=asset, state=DeliveryState.DELIVERED
    ).values_list("remote_reference", flat=True)
    return sorted({reference.split(":", 1)[0] for reference in references if ":" in reference})


def cross_check(asset: Asset) -> CrossCheck:
    """Ask DAS which communications use the asset's images, and compare with Govern's graph."""
    users = graph.users_of_asset(asset.pk)
    govern = sorted(
        Template.objects.filter(pk__in=users, kind=TemplateKind.COMMUNICATION).values_list(
            "exstream_id", flat=True
        )
    )
    if settings.EXSTREAM_API != "das":
        return CrossCheck(
            govern=govern,
            problem="Exstream's links are read through its Design API only (EXSTREAM_API=das).",
        )
    ids = resource_ids(asset)
    try:
        found = {user.name for rid in ids for user in das.gateway().used_by(rid)}
    except ExstreamError as error:
        return CrossCheck(govern=govern, resources=len(ids), problem=error.detail)
    return CrossCheck(exstream=sorted(found), govern=govern, resources=len(ids))
