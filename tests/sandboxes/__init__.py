"""Tests of the outside-system sandboxes, run as real processes."""
