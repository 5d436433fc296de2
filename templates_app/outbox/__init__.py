"""The outbox to Exstream and to webhook subscribers: a Delivery row written with the decision that
causes it (services.py holds every change of its state), the worker that renders and pushes what
it names (worker.py), and what a check reads of it (book.py).

May import templates_app's models and notices, exstream, assets, audit and govern; nothing of
usage or console.
"""

from templates_app.outbox.book import DeliveryBook, widest_print
from templates_app.outbox.services import (
    deliveries_enqueue,
    delivery_retry,
)

__all__ = [
    "DeliveryBook",
    "deliveries_enqueue",
    "delivery_retry",
    "widest_print",
]
