"""Serializer helpers shared by the apps' APIs."""

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know."""

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: "Unknown field." for name in unknown})
            not_text = [name for name in _text_fields(self) if _is_not_text(data.get(name))]
            if not_text:
                raise serializers.ValidationError({name: "Give text." for name in not_text})
        return super().to_internal_value(data)


def _text_fields(serializer: serializers.Serializer) -> list[str]:
    return [
        name
        for name, field in serializer.fields.items()
        if isinstance(field, serializers.CharField | serializers.ChoiceField)
        and not field.read_only
    ]


def _is_not_text(value: Any) -> bool:
    """A JSON number or boolean where text belongs (DRF would turn 0 into "0")."""
    return value is not None and not isinstance(value, str)


class CommentInput(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


def validated_query(
    serializer_class: type[serializers.Serializer], request: Request
) -> dict[str, Any]:
    """Return a list's filters checked by a query serializer (400 naming the parameter if not),
    without the ones not given."""
    serializer = serializer_class(data=request.query_params)
    empty = [name for name in serializer.fields.keys() if request.query_params.get(name) == ""]
    if empty:
        raise serializers.ValidationError({name: "Give a value or leave it out." for name in empty})
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if v not in (None, "", False)}


def validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """Return the request's data checked by an input serializer (400 with reasons if not)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# The largest id the database holds (a signed 64-bit integer); beyond it is a 400, not a query.
MAX_ID = 2**63 - 1


def id_field(**options: Any) -> serializers.IntegerField:
    """An input field naming a row by its id: a whole number the database can hold."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **options)
