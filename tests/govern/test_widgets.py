"""The Python-rendered select is Django's select, option for option."""

import pytest
from django import forms
from django.test import SimpleTestCase

from govern.widgets import Select

CHOICES = [
    ("", "Any"),
    ("a&b", "Tom & <Jerry>"),
    ("Group", [("g1", "First"), ("g2", "Second")]),
    ("z", 'Quote "z"'),
]


@pytest.mark.parametrize("value", [None, "", "a&b", "g2", "unknown"])
def test_renders_what_django_renders(value: str | None) -> None:
    attrs = {"id": "id_kind", "aria-describedby": "help"}
    ours = Select(choices=CHOICES).render("kind", value, attrs)
    django = forms.Select(choices=CHOICES).render("kind", value, attrs)
    SimpleTestCase().assertHTMLEqual(ours, django)


def test_selects_the_value_and_escapes_labels() -> None:
    html = Select(choices=CHOICES).render("kind", "g2", {})
    assert '<option value="g2" selected>Second</option>' in html
    assert "Tom &amp; &lt;Jerry&gt;" in html
    assert '<optgroup label="Group">' in html


def test_a_model_choice_field_renders_its_rows(db: None) -> None:
    from govern.models import BusinessUnit

    BusinessUnit.objects.create(slug="banking-uk", name="Banking UK")
    field = forms.ModelChoiceField(
        BusinessUnit.objects.all(), to_field_name="slug", widget=Select, empty_label="All"
    )
    html = field.widget.render("unit", "banking-uk", {})
    assert '<option value="banking-uk" selected>Banking UK</option>' in html
    assert '<option value="">All</option>' in html
