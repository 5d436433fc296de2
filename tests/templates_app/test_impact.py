"""Change impact: every template using an asset, through components at any depth, gets a review."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets.models import Asset, Version
from assets.selectors import clean_selectors
from assets.services import version_approve, version_retire, version_withdraw
from audit.models import AuditEvent
from templates_app.models import Binding, Composition, Review, Template, TemplateState
from templates_app.services import binding_set, composition_add, templates_flag_for_change

MakeTemplate = Callable[..., Template]


def flagged() -> set[int]:
    return set(Review.objects.filter(state="open").values_list("template_id", flat=True))


@pytest.fixture
def approved_logo(
    logo: Asset, add_version: Callable[..., Version], compliance_officer: Any
) -> Version:
    return version_approve(version=add_version(logo), actor=compliance_officer)


def test_approval_over_another_flags_direct_and_transitive_users(
    logo: Asset,
    approved_logo: Version,
    add_version: Callable[..., Version],
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
) -> None:
    footer = make_template("Footer", kind="component")
    letter = make_template("Letter")
    statement = make_template("Statement")
    unrelated = make_template("Unrelated")
    binding_set(template=footer, slot="logo", asset=logo, actor=designer)
    composition_add(parent=letter, child=footer, actor=designer)
    composition_add(parent=statement, child=letter, actor=designer)
    new = version_approve(version=add_version(logo), actor=compliance_officer)
    assert flagged() == {footer.pk, letter.pk, statement.pk}
    review = Review.objects.get(template=statement)
    assert (review.asset, review.old_version, review.new_version, review.action, review.actor) == (
        logo,
        approved_logo,
        new,
        "approved",
        compliance_officer,
    )
    states = dict(Template.objects.values_list("pk", "state"))
    assert states[statement.pk] == TemplateState.NEEDS_REVIEW
    assert states[unrelated.pk] == TemplateState.CLEARED
    event = AuditEvent.objects.get(action="version.approved", target_id=str(new.pk))
    assert event.data["templates_flagged"] == 3


def test_first_approval_flags_nothing(
    logo: Asset,
    add_version: Callable[..., Version],
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
) -> None:
    binding_set(template=make_template(), slot="logo", asset=logo, actor=designer)
    version_approve(version=add_version(logo), actor=compliance_officer)
    assert flagged() == set()


def test_approving_a_new_variant_flags_users_of_the_asset(
    logo: Asset,
    approved_logo: Version,
    add_version: Callable[..., Version],
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
) -> None:
    letter = make_template("Letter")
    binding_set(template=letter, slot="logo", asset=logo, actor=designer)
    german = add_version(logo, selectors=clean_selectors(language="de"))
    version_approve(version=german, actor=compliance_officer)
    review = Review.objects.get(template=letter)
    assert (review.old_version, review.new_version) == (None, german)


@pytest.mark.parametrize("recall", ["withdraw", "retire"])
def test_withdrawal_and_retirement_flag_users(
    logo: Asset,
    approved_logo: Version,
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
    recall: str,
) -> None:
    template = make_template()
    binding_set(template=template, slot="logo", asset=logo, actor=designer)
    if recall == "withdraw":
        version_withdraw(version=approved_logo, actor=compliance_officer, comment="Recall")
    else:
        version_retire(version=approved_logo, actor=compliance_officer)
    review = Review.objects.get()
    assert (review.template, review.old_version, review.new_version) == (
        template,
        approved_logo,
        None,
    )
    assert review.action == {"withdraw": "withdrawn", "retire": "retired"}[recall]


def test_repeating_a_cause_opens_no_second_review(
    logo: Asset,
    approved_logo: Version,
    make_template: MakeTemplate,
    designer: Any,
) -> None:
    template = make_template()
    binding_set(template=template, slot="logo", asset=logo, actor=designer)
    for _ in range(2):
        templates_flag_for_change(
            asset=logo, action="expired", old_version=approved_logo, new_version=None, actor=None
        )
    assert Review.objects.filter(template=template, state="open").count() == 1


def test_a_cycle_of_components_is_refused(make_template: MakeTemplate, designer: Any) -> None:
    a, b, c = make_template(kind="component"), make_template(kind="component"), make_template()
    composition_add(parent=c, child=b, actor=designer)
    composition_add(parent=b, child=a, actor=designer)
    with pytest.raises(ValidationError, match="cycle"):
        composition_add(parent=a, child=c, actor=designer)
    with pytest.raises(ValidationError, match="cycle"):
        composition_add(parent=a, child=a, actor=designer)
    assert Composition.objects.count() == 2


def test_approval_queries_do_not_grow_with_the_number_of_dependents(
    logo: Asset,
    add_version: Callable[..., Version],
    make_template: MakeTemplate,
    designer: Any,
    compliance_officer: Any,
    second_compliance_officer: Any,
) -> None:
    def approval_queries(dependents: int) -> int:
        for _ in range(dependents):
            binding_set(template=make_template(), slot="logo", asset=logo, actor=designer)
        version = add_version(logo)
        with CaptureQueriesContext(connection) as captured:
            version_approve(version=version, actor=compliance_officer)
        return len(captured)

    version_approve(version=add_version(logo), actor=second_compliance_officer)
    few = approval_queries(1)
    assert approval_queries(40) == few
    assert len(flagged()) == 41


# Random component graphs: the flagged set is the transitive closure of the asset's users.

graphs = st.integers(min_value=1, max_value=10).flatmap(
    lambda size: st.tuples(
        st.just(size),
        st.sets(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1))),
        st.sets(st.integers(0, size - 1)),
    )
)


def closure(size: int, edges: set[tuple[int, int]], users: set[int]) -> set[int]:
    """Templates that use the asset: binders, and every parent of one, repeatedly."""
    found = set(users)
    while True:
        more = {parent for parent, child in edges if child in found} - found
        if not more:
            return found
        found |= more


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(graph=graphs)
def test_flagged_set_is_the_transitive_closure_of_users(
    graph: tuple[int, set[tuple[int, int]], set[int]],
    logo: Asset,
    approved_logo: Version,
) -> None:
    size, raw_edges, users = graph
    edges = {(max(a, b), min(a, b)) for a, b in raw_edges if a != b}  # parent above child: a DAG
    with transaction.atomic():
        templates = Template.objects.bulk_create(
            Template(
                exstream_id=f"G-{n}",
                name=f"G{n}",
                kind="component",
                business_unit=logo.business_unit,
            )
            for n in range(size)
        )
        Composition.objects.bulk_create(
            Composition(parent=templates[parent], child=templates[child]) for parent, child in edges
        )
        Binding.objects.bulk_create(
            Binding(template=templates[n], slot="logo", asset=logo) for n in users
        )
        templates_flag_for_change(
            asset=logo,
            action="expired",
            old_version=approved_logo,
            new_version=None,
            actor=User.objects.first(),
        )
        expected = {templates[n].pk for n in closure(size, edges, users)}
        assert flagged() == expected
        needing = set(Template.objects.filter(state="needs_review").values_list("pk", flat=True))
        assert needing == expected
        transaction.set_rollback(True)
