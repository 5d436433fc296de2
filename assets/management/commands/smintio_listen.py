"""Listen to Smint.io's push notifications (Pusher) and queue a pull on each change."""

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assets.smintio import connection as smintio_connection
from assets.smintio.pusher import Listener, channel_for, queue_pull


class Command(BaseCommand):
    help = "Subscribe to the tenant's Pusher channel; each change queues a Smint.io pull."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.SMINTIO_CHANNEL_ID:
            raise CommandError("SMINTIO_CHANNEL_ID is not set: there is no channel to listen to.")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        channel = channel_for(settings.SMINTIO_CHANNEL_ID)
        listener = Listener(
            url=settings.SMINTIO_PUSHER_URL,
            channel=channel,
            authorize=smintio_connection.client().pusher_auth,
            on_change=queue_pull,
        )
        self.stdout.write(f"Listening to {channel} on {settings.SMINTIO_PUSHER_URL}")
        listener.run(stop)
