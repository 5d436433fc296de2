"""The shape of the code, held as rules: imports run one way (console -> usage -> templates_app ->
assets -> govern -> audit), audit (its core above all) imports nothing of the project, no module
finds another through a dotted path, and view and API modules change nothing themselves.

Each rule is a function over a tree, run on the project and on a planted violation, so a rule
that stopped seeing anything would fail its planted test."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("console", "usage", "templates_app", "assets", "govern", "audit")
# room -> the rooms it may import (besides itself)
MAY_IMPORT = {
    "console": {"usage", "templates_app", "assets", "govern", "audit"},
    "usage": {"templates_app", "assets", "govern", "audit"},
    "templates_app": {"assets", "govern", "audit"},
    "assets": {"govern", "audit"},
    "govern": {"audit"},  # the base writes audit events
    "audit": set(),  # the trail stands on nothing; its pages are console/audit_log/
}
AUDIT_CORE = {
    "audit.models",
    "audit.chain",
    "audit.services",
    "audit.checkpoints",
    "audit.triggers",
}
ORM_WRITES = {"save", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_WRITES = {"update", "create", "delete"}
QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "select_related"}


def modules(root: Path, room: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((root / room).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text(), str(path))


def imported(tree: ast.Module) -> set[str]:
    """Return the dotted names a module imports (a `from a import b` gives a.b and a)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _audit_module(name: str) -> str:
    """Return the audit module a dotted name lies in: audit.services for audit.services.x."""
    return ".".join(name.split(".")[:2])


def room_crossings(root: Path) -> list[str]:
    """Imports of a room the importer stands below (or beside)."""
    found = set()
    for room in ROOMS:
        for path, tree in modules(root, room):
            for name in imported(tree):
                target = name.split(".")[0]
                if target in ROOMS and target != room and target not in MAY_IMPORT[room]:
                    found.add(f"{path.relative_to(root)} imports {target}")
    return sorted(found)


def audit_core_crossings(root: Path) -> list[str]:
    """The audit core imports nothing of the project but the core itself."""
    found = set()
    for path, tree in modules(root, "audit"):
        if f"audit.{path.stem}" not in AUDIT_CORE:
            continue
        for name in imported(tree):
            top = name.split(".")[0]
            if top in ROOMS and top != "audit":
                found.add(f"{path.relative_to(root)} imports {top}")
            elif top == "audit" and "." in name and _audit_module(name) not in AUDIT_CORE:
                found.add(f"{path.relative_to(root)} imports {_audit_module(name)}")
    return sorted(found)


def dotted_lookups(root: Path) -> list[str]:
    """Modules that find another through a dotted path (import_string) instead of importing."""
    found = []
    for room in ROOMS:
        for path, tree in modules(root, room):
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id == "import_string":
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
                elif isinstance(node, ast.Attribute) and node.attr == "import_string":
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def _receiver(node: ast.AST) -> set[str]:
    names = set()
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
            node = node.value
        else:
            node = node.func
    if isinstance(node, ast.Name):
        names.add(node.id)
    return names


def _is_view_module(path: Path) -> bool:
    stem = path.stem
    return stem in {"views", "api"} or stem.endswith(("_views", "_api"))


def view_writes(root: Path) -> list[str]:
    """ORM writes in view and API modules: a state change belongs in a service."""
    found = []
    for room in ROOMS:
        for path, tree in modules(root, room):
            if not _is_view_module(path):
                continue
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                verb = node.func.attr
                on_queryset = QUERYSET_HINTS & _receiver(node.func.value)
                if verb in ORM_WRITES or (verb in QUERYSET_WRITES and on_queryset):
                    found.append(f"{path.relative_to(root)}:{node.lineno} .{verb}()")
    return found


RULES = [room_crossings, audit_core_crossings, dotted_lookups, view_writes]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_the_project_keeps_the_rule(rule: object) -> None:
    assert rule(ROOT) == []  # type: ignore[operator]


def plant(root: Path, path: str, source: str) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)


@pytest.mark.parametrize(
    ("path", "source", "found"),
    [
        ("govern/access.py", "from assets.models import Asset\n", "assets"),
        ("govern/home.py", "import usage.models\n", "usage"),
        ("govern/urls.py", "from console import views\n", "console"),
        ("audit/exports.py", "from govern.exports import csv_lines\n", "govern"),
        ("audit/views.py", "from govern.access import scoped\n", "govern"),
        ("assets/services.py", "from templates_app import services\n", "templates_app"),
        ("templates_app/api.py", "from usage import reconcile\n", "usage"),
        ("usage/views.py", "from console.home import waiting_for\n", "console"),
        ("assets/rights/judge.py", "from usage.limits import purchase_facts\n", "usage"),
    ],
)
def test_an_arrow_back_up_is_caught(tmp_path: Path, path: str, source: str, found: str) -> None:
    plant(tmp_path, path, source)
    assert room_crossings(tmp_path) == [f"{path} imports {found}"]


def test_arrows_down_and_the_bases_audit_core_are_allowed(tmp_path: Path) -> None:
    plant(tmp_path, "console/views.py", "from usage.models import ProductionRun\n")
    plant(tmp_path, "usage/api.py", "from templates_app.models import Template\n")
    plant(tmp_path, "assets/services.py", "from govern.access import require\n")
    plant(tmp_path, "govern/services.py", "from audit.services import audit_record\n")
    plant(tmp_path, "console/audit_log/views.py", "from govern.access import scoped\n")
    assert room_crossings(tmp_path) == []


@pytest.mark.parametrize(
    "source",
    ["from govern.models import BusinessUnit\n", "from audit.exports import event_rows\n"],
)
def test_the_audit_core_importing_the_project_is_caught(tmp_path: Path, source: str) -> None:
    plant(tmp_path, "audit/services.py", source)
    plant(tmp_path, "audit/chain.py", "from audit.models import AuditEvent\n")
    plant(tmp_path, "audit/exports.py", "from audit.models import AuditEvent\n")
    assert len(audit_core_crossings(tmp_path)) == 1
    assert audit_core_crossings(tmp_path)[0].startswith("audit/services.py imports")


def test_a_dotted_lookup_is_caught(tmp_path: Path) -> None:
    plant(
        tmp_path,
        "templates_app/expiry.py",
        "from django.utils.module_loading import import_string\n"
        "facts = import_string('usage.limits.purchase_facts')\n",
    )
    assert dotted_lookups(tmp_path) == ["templates_app/expiry.py:2"]


@pytest.mark.parametrize(
    "line",
    [
        "Notification.objects.filter(pk=1).update(read_at=None)",
        "notice.save(update_fields=['read_at'])",
        "SmintioConnection.objects.get_or_create(pk=1)",
        "Asset.objects.create(key='x')",
        "Version.objects.all().delete()",
    ],
)
def test_a_write_in_a_view_module_is_caught(tmp_path: Path, line: str) -> None:
    plant(tmp_path, "assets/smintio/views.py", f"def page(request):\n    {line}\n")
    plant(tmp_path, "govern/notification_api.py", "def read(request):\n    context.update(a=1)\n")
    assert len(view_writes(tmp_path)) == 1


def test_version_approve_names_where_its_consequences_are_wired() -> None:
    from assets.services import version_approve

    assert "assets/consequences.py" in (version_approve.__doc__ or "")
    consequences = (ROOT / "assets" / "consequences.py").read_text()
    assert "templates_app/consequences.py" in consequences


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("assets/rights/judge.py", "usage/apps.py"),
        ("govern/export_jobs.py", "usage/apps.py"),
        ("govern/export_jobs.py", "console/apps.py"),
    ],
)
def test_each_registry_names_the_room_that_fills_it_and_back(lower: str, higher: str) -> None:
    assert higher in (ROOT / lower).read_text()
    assert lower in (ROOT / higher).read_text()
