"""The top floor: what looks across every room. Home per role, the navigation, the demo
(`seed_demo`), `serve` (the whole product in one foreground process) and `sandbox`.

May import every room (usage, templates_app, assets, govern, audit); no room imports it.
"""
