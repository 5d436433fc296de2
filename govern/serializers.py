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
        return super().to_internal_value(data)


class CommentInput(StrictSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


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
