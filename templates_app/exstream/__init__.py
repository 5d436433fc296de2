"""OpenText Exstream: the modules that speak HTTP to it (das.py, OpenText's published Design API
and OTDS; client.py, Govern's proxy contract; gateway.py, which of the two EXSTREAM_API names),
the hot folder, and the import of templates with their slots (services.py, its one state change).

May import templates_app's models, assets, audit and govern; nothing of usage or console.
"""

from templates_app.exstream.client import ExstreamClient, ExstreamError, reset_client
from templates_app.exstream.gateway import push_image
from templates_app.exstream.services import templates_import

__all__ = ["ExstreamClient", "ExstreamError", "push_image", "reset_client", "templates_import"]
