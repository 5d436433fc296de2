"""The template graph in SQL: who uses an asset through components, what a template contains.

Each function is one recursive query, whatever the size of the graph; both SQLite and
PostgreSQL run them as written.
"""

from typing import Any

from django.db import connection
from django.utils import timezone

from templates_app.models import (
    Binding,
    Composition,
    Review,
    ReviewState,
    Template,
    TemplateState,
)

BINDINGS = Binding._meta.db_table
COMPOSITIONS = Composition._meta.db_table
REVIEWS = Review._meta.db_table
TEMPLATES = Template._meta.db_table

# Templates that bind the asset, and every template containing one of them, at any depth.
USERS_OF_ASSET = f"""
    WITH RECURSIVE affected(id) AS (
        SELECT template_id FROM {BINDINGS} WHERE asset_id = %s
        UNION
        SELECT c.parent_id FROM {COMPOSITIONS} c JOIN affected a ON c.child_id = a.id
    )
"""
# A template and every component inside it, at any depth.
CONTENTS_OF_TEMPLATE = f"""
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM {TEMPLATES} WHERE id = %s
        UNION
        SELECT c.child_id FROM {COMPOSITIONS} c JOIN tree t ON c.parent_id = t.id
    )
"""
# A template and every template containing it, at any depth.
CONTAINERS_OF_TEMPLATE = f"""
    WITH RECURSIVE affected(id) AS (
        SELECT id FROM {TEMPLATES} WHERE id = %s
        UNION
        SELECT c.parent_id FROM {COMPOSITIONS} c JOIN affected a ON c.child_id = a.id
    )
"""


def _ids(sql: str, params: list[Any]) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def users_of_asset(asset_id: int) -> set[int]:
    """Return the ids of templates that use the asset directly or through components."""
    return _ids(USERS_OF_ASSET + "SELECT id FROM affected", [asset_id])


def containers_of(template_id: int) -> set[int]:
    """Return the template's id and those of every template that contains it."""
    return _ids(CONTAINERS_OF_TEMPLATE + "SELECT id FROM affected", [template_id])


def contents_of(template_id: int) -> set[int]:
    """Return the template's id and those of all components inside it."""
    return _ids(CONTENTS_OF_TEMPLATE + "SELECT id FROM tree", [template_id])


def open_reviews_for_change(
    *,
    asset_id: int,
    action: str,
    old_version_id: int | None,
    new_version_id: int | None,
    actor_id: int | None,
    cause: str,
) -> int:
    """Open one review per affected template and mark each as needing review; return how many
    templates have an open review for this cause.

    A template that already has an open review with this cause gets no second one, so every
    affected template has exactly one. On PostgreSQL this is one statement (the inserts and the
    update share the graph walk); SQLite, which has no INSERT inside WITH, takes three.
    """
    insert = f"""
        INSERT INTO {REVIEWS} (template_id, state, asset_id, old_version_id, new_version_id,
                               action, actor_id, cause_key, created_at, note, detail)
        SELECT id, %s, %s, %s, %s, %s, %s, %s, %s, '', '' FROM affected WHERE true
        ON CONFLICT DO NOTHING
    """
    mark = (
        f"UPDATE {TEMPLATES} SET state = %s WHERE id IN (SELECT id FROM affected) AND state <> %s"
    )
    params: list[Any] = [
        ReviewState.OPEN.value,
        asset_id,
        old_version_id,
        new_version_id,
        action,
        actor_id,
        cause,
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]
    marked = [TemplateState.NEEDS_REVIEW.value] * 2
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"{USERS_OF_ASSET}, opened AS ({insert} RETURNING 1), marked AS ({mark} "
                "RETURNING 1) SELECT COUNT(*) FROM affected",
                [asset_id, *params, *marked],
            )
        else:  # the walk once; then the reviews it opened, by their index on the cause
            cursor.execute(USERS_OF_ASSET + insert, [asset_id, *params])
            opened = f"SELECT template_id FROM {REVIEWS} WHERE cause_key = %s AND state = %s"
            cursor.execute(
                f"UPDATE {TEMPLATES} SET state = %s WHERE id IN ({opened}) AND state <> %s",
                [marked[0], cause, ReviewState.OPEN.value, marked[1]],
            )
            cursor.execute(f"SELECT COUNT(*) FROM ({opened})", [cause, ReviewState.OPEN.value])
        flagged = cursor.fetchone()[0]
    return int(flagged)


def impact_summary(asset_id: int) -> dict[str, Any]:
    """Count the templates a change of the asset would flag, with their units and channels."""
    affected = Template.objects.filter(pk__in=users_of_asset(asset_id))
    rows = list(affected.values_list("business_unit__name", "channels"))
    channels = {channel for _unit, value in rows for channel in value.split(",") if channel}
    return {
        "count": len(rows),
        "units": sorted({unit for unit, _channels in rows}),
        "channels": sorted(channels),
    }
