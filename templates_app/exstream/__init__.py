"""OpenText Exstream: the client (client.py, the only module that speaks HTTP to it), the hot
folder, and the import of templates with their slots (services.py, its one state change).

May import templates_app's models, assets, audit and govern; nothing of usage or console.
"""

from templates_app.exstream.client import ExstreamClient, ExstreamError, push_image, reset_client
from templates_app.exstream.services import templates_import

__all__ = ["ExstreamClient", "ExstreamError", "push_image", "reset_client", "templates_import"]
