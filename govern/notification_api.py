"""A person's own notices over the API: newest first, and marked read one by one."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from govern.access import acting_user
from govern.models import Notification
from govern.notify import notification_read


class NotificationOutput(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            *("id", "subject", "body", "url", "created_at", "read", "read_at"),
            *("urgent", "settled_at", "settled_by"),
        ]

    def get_read(self, notice: Notification) -> bool:
        return notice.read_at is not None


class NotificationList(generics.ListAPIView):
    """List the caller's own notices, newest first."""

    serializer_class = NotificationOutput

    def get_queryset(self) -> Any:
        return Notification.objects.filter(user=acting_user(self.request)).order_by(
            "-created_at", "-pk"
        )


class NotificationRead(APIView):
    """Mark one of the caller's notices read (another person's is a 404); repeating is harmless."""

    @extend_schema(request=None, responses=NotificationOutput)
    def post(self, request: Request, pk: int) -> Response:
        notice = get_object_or_404(Notification, pk=pk, user=acting_user(request))
        return Response(NotificationOutput(notification_read(notice=notice)).data)
