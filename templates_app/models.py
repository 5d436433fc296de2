"""Where assets are used: Exstream templates, their bindings and reviews (built in later issues)."""
