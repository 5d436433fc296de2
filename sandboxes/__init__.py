"""Stand-ins for the outside systems Govern talks to, each run as its own stdlib-only process."""
