"""Demo content for `manage.py seed_demo`: a few assets with versions in several states."""

import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.utils import timezone
from PIL import Image, ImageDraw

from assets.criteria.rules import DEFAULT_RULES
from assets.criteria.services import criteria_set
from assets.models import (
    Asset,
    LicensePurchase,
    LicenseTerm,
    SignatureMeaning,
    Version,
    VocabularyLabel,
)
from assets.rights.readings import delivered_empty, reading_record
from assets.selectors import clean_selectors
from assets.services import asset_create, version_approve, version_create, version_submit
from assets.signatures import Intent
from assets.smintio.mapping import stated_empty
from assets.uploads import Content, inspect_bytes, read_text
from govern.models import BusinessUnit
from templates_app.campaigns.services import campaign_approve, campaign_create, campaign_submit
from templates_app.driver_samples import driver_sample_store
from templates_app.models import Campaign, CampaignState, Template
from templates_app.services import binding_set, composition_add, template_create


def _picture(size: tuple[int, int], background: str, mark: str, shape: str = "circle") -> Content:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    box = (size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4)
    (draw.ellipse if shape == "circle" else draw.rectangle)(box, fill=mark)
    output = io.BytesIO()
    image.save(output, "PNG", dpi=(300, 300))
    return inspect_bytes(output.getvalue())


def _licensed(version: Version, name: str, reader: User, **terms: object) -> None:
    """Give a demo version a licence purchase of its own, as a Smint.io sync would, and the
    reading of a compliance officer who found its text silent on what the terms leave empty."""
    purchase = LicensePurchase.objects.create(
        uuid=f"demo-{name}",
        cart_uuid="demo",
        asset=version.variant.asset,
        state="completed",
        content_element_uuid=f"demo:{name}",
        provider="demo",
        license_type="rights_managed",
        model_release_state="released",
        property_release_state="no_release_required",
    )
    held = LicenseTerm.objects.create(
        purchase=purchase,
        sequence_number=1,
        fingerprint=name,
        is_editorial_use=False,
        **(stated_empty() | terms),
    )
    Version.objects.filter(pk=version.pk).update(purchase=purchase)
    reading_record(
        purchase=purchase,
        terms=delivered_empty([held]),
        reason="The licence text adds nothing to its terms: what they leave empty is none.",
        intent=Intent(reader, SignatureMeaning.READ),
    )


def seed_rights(unit: BusinessUnit, author: User, officers: list[User], designer: User) -> None:
    """A campaign image whose German licence has ended, with an any-language fallback licensed
    for "geography_dach", a key nobody has mapped yet: pre-flight warns until someone does."""
    prefix = unit.slug.split("-")[0]
    hero = asset_create(
        key=f"{prefix}.campaign.renewal-hero",
        title="Renewal campaign hero",
        kind="product_image",
        unit=unit,
        actor=author,
    )
    german = _add(hero, _picture((900, 450), "#2e7d32", "#ffffff"), author, "de")
    german = version_approve(version=german, actor=officers[0], comment="German campaign.")
    ended = timezone.now() - timedelta(days=2)
    _licensed(
        german,
        f"{prefix}-hero-de",
        officers[0],
        allowed_geographies=["geography_germany"],
        valid_until=ended,
    )
    anywhere = _add(hero, _picture((900, 450), "#1b5e20", "#ffeb3b"), author)
    anywhere = version_approve(version=anywhere, actor=officers[0], comment="Fallback.")
    _licensed(anywhere, f"{prefix}-hero-any", officers[0], allowed_geographies=["geography_dach"])
    VocabularyLabel.objects.get_or_create(
        vocabulary="license_geographies",
        key="geography_dach",
        culture="en",
        defaults={"label": "Germany, Austria and Switzerland"},
    )
    mailing = template_create(
        exstream_id=f"{prefix.upper()}-RENEWAL-MAILING",
        name="Renewal mailing",
        kind="communication",
        channels=["print", "email"],
        unit=unit,
        actor=designer,
    )
    binding_set(template=mailing, slot="hero", asset=hero, actor=designer, placement="cover")


def _add(asset: Asset, content: Content, author: User, language: str = "") -> Version:
    version = version_create(
        asset=asset, selectors=clean_selectors(language=language), content=content, actor=author
    )
    return version_submit(version=version, actor=author)


def seed_templates(unit: BusinessUnit, designer: User) -> None:
    """Register a policy letter and a statement whose footer component shows the unit's logo
    (the demo campaign swaps it), and a welcome letter that shows it itself (no campaign
    reaches it: the demo's clean run)."""
    prefix = unit.slug.split("-")[0]
    logo = Asset.objects.get(key=f"{prefix}.logo.primary")
    footer = template_create(
        exstream_id=f"{prefix.upper()}-FOOTER",
        name="Letter footer",
        kind="component",
        channels=["print", "email"],
        unit=unit,
        actor=designer,
    )
    binding_set(template=footer, slot="footer_logo", asset=logo, actor=designer)
    letter = template_create(
        exstream_id=f"{prefix.upper()}-POLICY-LETTER",
        name="Policy letter",
        kind="communication",
        channels=["print"],
        unit=unit,
        actor=designer,
    )
    composition_add(parent=letter, child=footer, actor=designer)
    terms = Asset.objects.get(key=f"{prefix}.disclaimer.rates")
    statement = template_create(
        exstream_id=f"{prefix.upper()}-STATEMENT",
        name="Annual statement",
        kind="communication",
        channels=["print", "email"],
        unit=unit,
        actor=designer,
    )
    composition_add(parent=statement, child=footer, actor=designer)
    binding_set(template=statement, slot="rates_disclaimer", asset=terms, actor=designer)
    welcome = template_create(
        exstream_id=f"{prefix.upper()}-WELCOME-LETTER",
        name="Welcome letter",
        kind="communication",
        channels=["print"],
        unit=unit,
        actor=designer,
    )
    binding_set(template=welcome, slot="letterhead_logo", asset=logo, actor=designer)
    seed_driver_data(unit, [letter, statement, welcome], designer)


# The context each demo unit's letters run in, and the driver data a proof of them is made from.
DEMO_CONTEXTS = {"insurance": ("DE", "de"), "banking": ("GB", "en")}


def seed_driver_data(unit: BusinessUnit, letters: list[Template], designer: User) -> None:
    """Keep driver data for each letter's print context and for a context that says nothing,
    so the template page's pre-flight can ask Exstream for a proof."""
    region, language = DEMO_CONTEXTS[unit.slug.split("-")[0]]
    for letter in letters:
        policy = f"{letter.exstream_id}-0001"
        driver = {"customer": "Alex Example", "policy": policy, "language": language}
        data = json.dumps(driver).encode()
        for context in ({"region": region, "language": language, "channel": "print"}, {}):
            driver_sample_store(
                template=letter, data=data, file_name="demo.json", actor=designer, **context
            )


def seed_assets(unit: BusinessUnit, author: User, officers: list[User]) -> bool:
    """Create the demo assets of a unit once; return False when they exist."""
    prefix = unit.slug.split("-")[0]
    if Asset.objects.filter(key=f"{prefix}.logo.primary").exists():
        return False
    logo = asset_create(
        key=f"{prefix}.logo.primary", title="Primary logo", kind="logo", unit=unit, actor=author
    )
    first = _add(logo, _picture((600, 300), "#0b3d91", "#ffffff"), author)
    version_approve(version=first, actor=officers[0], comment="Matches the brand guide.")
    _add(logo, _picture((600, 300), "#0b3d91", "#ffcc00"), author)  # a changed logo in review
    card = asset_create(
        key=f"{prefix}.product.gold-card",
        title="Gold card",
        kind="product_image",
        unit=unit,
        actor=author,
    )
    _add(card, _picture((800, 500), "#c9a227", "#1d2433", "square"), author)
    terms = asset_create(
        key=f"{prefix}.disclaimer.rates",
        title="Rates disclaimer",
        kind="disclaimer",
        unit=unit,
        actor=author,
    )
    _add(terms, read_text("Interest rates may change. Terms and conditions apply."), author, "en")
    return True


def spring_logo(unit: BusinessUnit, author: User, officer: User) -> Version:
    """Return the approved campaign logo of the unit, made the first time."""
    prefix = unit.slug.split("-")[0]
    visual = Asset.objects.filter(key=f"{prefix}.campaign.spring-logo").first()
    if visual is None:
        visual = asset_create(
            key=f"{prefix}.campaign.spring-logo",
            title="Spring renewal logo",
            kind="campaign_visual",
            unit=unit,
            actor=author,
        )
        version = _add(visual, _picture((600, 300), "#f9a825", "#0b3d91", "square"), author)
        version_approve(version=version, actor=officer, comment="Spring campaign logo.")
    return Version.objects.get(variant__asset=visual, state="approved")


def seed_campaign(unit: BusinessUnit, author: User, officer: User, minutes: int) -> str:
    """Schedule a demo campaign that swaps the footer logo `minutes` from now for ten minutes,
    unless one is already waiting or running; approved, so its reviews are open at once."""
    prefix = unit.slug.split("-")[0]
    waiting = Campaign.objects.filter(
        business_unit=unit,
        name__startswith="Spring renewal (demo",
        state__in=(CampaignState.APPROVED, CampaignState.LIVE),
        ends_at__gt=timezone.now(),  # one whose end passed while Govern was stopped is over
    )
    if waiting.exists():
        return "a demo campaign is already scheduled"
    version = spring_logo(unit, author, officer)
    footer = Template.objects.get(exstream_id=f"{prefix.upper()}-FOOTER")
    go_live = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=minutes)
    local = go_live.astimezone(ZoneInfo(unit.time_zone))
    campaign = campaign_create(
        unit=unit,
        name=f"Spring renewal (demo {local:%H:%M})",
        go_live_at=go_live,
        ends_at=go_live + timedelta(minutes=10),
        time_zone=unit.time_zone,
        items=[{"template": footer.pk, "slot": "footer_logo", "version": version.pk}],
        actor=author,
    )
    campaign_submit(campaign=campaign, actor=author)
    campaign_approve(campaign=campaign, actor=officer, comment="Demo campaign.")
    return (
        f"{campaign.name} goes live at {local:%H:%M} {unit.time_zone} ({go_live:%H:%M} UTC) "
        "for ten minutes"
    )


# What an officer confirms before approving a product image in the demo's units.
DEMO_CHECKLIST = [
    "The product shown is the one on offer",
    "Rates and prices shown match the product sheet",
]


def seed_criteria(unit: BusinessUnit, officer: User) -> None:
    """Give product images a checklist every approver ticks, beside the default print rule."""
    criteria_set(
        kind="product_image",
        unit=unit,
        rules=DEFAULT_RULES,
        checklist=DEMO_CHECKLIST,
        actor=officer,
    )
