"""Documents a run produced, attached as evidence, read by a worker and judged."""
