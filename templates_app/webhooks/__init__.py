"""Outgoing webhooks: governance events signed Stripe-style and sent through the outbox to the
endpoints administrators register (services.py: endpoints, secrets, emitting; sender.py: the
signed POST). Nothing here calls Smint.io: a relay to it is one more subscriber.

May import templates_app's models and outbox, assets, govern and audit; usage and console emit
through `emit`.
"""

from templates_app.webhooks.services import EVENT_TYPES, emit, subscribed

__all__ = ["EVENT_TYPES", "emit", "subscribed"]
