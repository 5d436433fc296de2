"""Arrows go one way: templates_app and usage build on assets, assets never imports them (what
its decisions mean for them is wired through assets/consequences.py)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# room -> the rooms it must not import
FORBIDDEN = {
    "assets": {"templates_app", "usage"},
    "audit": {"assets", "templates_app", "usage"},
    "templates_app": {"usage"},
}


def imported_rooms(path: Path) -> set[str]:
    rooms = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            rooms |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            rooms.add(node.module.split(".")[0])
    return rooms


def test_no_room_imports_one_that_builds_on_it() -> None:
    crossings = [
        f"{path.relative_to(ROOT)} imports {room}"
        for source, forbidden in FORBIDDEN.items()
        for path in sorted((ROOT / source).rglob("*.py"))
        for room in sorted(imported_rooms(path) & forbidden)
    ]
    assert crossings == []


def test_version_approve_names_where_its_consequences_are_wired() -> None:
    from assets.services import version_approve

    assert "assets/consequences.py" in (version_approve.__doc__ or "")
    consequences = (ROOT / "assets" / "consequences.py").read_text()
    assert "templates_app/consequences.py" in consequences
