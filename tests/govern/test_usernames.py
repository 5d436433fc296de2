"""Usernames follow one rule wherever they are made: commands, the admin's forms, API keys."""

from typing import Any

import pytest
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from govern.services import api_key_create
from govern.usernames import clean_username, username_problem


@pytest.mark.parametrize("name", ["bella", "user.name-1_x", "müller", "алиса"])
def test_plain_names_in_one_script_pass(name: str) -> None:
    assert username_problem(name) is None


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("pаypal", "mixes scripts (CYRILLIC and LATIN)"),
        ("bella\u200b", "invisible or control character (ZERO WIDTH SPACE)"),
        ("bella ", "whitespace (SPACE)"),
        ("bel\tla", "whitespace"),
        ("<b>bella</b>", "markup ('<')"),
        ("ｂｅｌｌａ", "not in Unicode normal form"),
        ("", "cannot be empty"),
        ("x" * 151, "at most 150 characters"),
    ],
)
def test_look_alikes_invisibles_whitespace_and_markup_are_named(name: str, said: str) -> None:
    problem = username_problem(name)
    assert problem is not None and said in problem


def test_commands_normalise_first_then_apply_the_rule(roles: None, unit: object) -> None:
    assert clean_username("ｂｅｌｌａ") == "bella"
    with pytest.raises(CommandError, match="mixes scripts"):
        call_command("grant_role", "pаypal", "auditor", "--installation")
    with pytest.raises(ValidationError, match="invisible"):
        api_key_create(name="exstream\u200b", units=[unit], actor=None)  # type: ignore[list-item]


@pytest.mark.django_db
def test_the_admins_user_form_applies_the_same_rule() -> None:
    data = {
        "username": "pаypal",
        "password1": "a long enough pass 9",
        "password2": "a long enough pass 9",
    }
    form: UserCreationForm[Any] = UserCreationForm(data)
    assert not form.is_valid()
    assert "mixes scripts" in str(form.errors["username"])
