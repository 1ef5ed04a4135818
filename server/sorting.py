"""A paged list in the order a person picked: `sort=number`, `sort=-created_at`, checked against the fields the list offers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import Select, select

from server.auth import visibility
from server.auth.permissions import Actor
from server.errors import CangkuError


def sorted_by(
    query: Select[Any], sort: str | None, fields: Mapping[str, Any], *, default: Sequence[Any], tiebreak: Any,
    hidden: Collection[str] = (),
) -> Select[Any]:
    """The query ordered by `sort` (a field of `fields`, "-" in front for descending; rows without a value last either way),
    ties broken by `tiebreak` in the same direction so that pages neither repeat nor skip a row; in `default` order without one.

    A field the list does not offer is refused, and so is one in `hidden` (a cost or a price the caller may not see: the
    order of the rows would give it away), naming the fields that may be used."""
    if not sort:
        return query.order_by(*default)
    descending = sort.startswith("-")
    name = sort[1:] if descending else sort
    offered = [field for field in fields if field not in hidden]
    if name not in offered:
        raise _refused(name, offered)
    column = fields[name]
    if descending:
        return query.order_by(column.desc().nulls_last(), tiebreak.desc())
    return query.order_by(column.asc().nulls_last(), tiebreak.asc())


def _refused(name: str, offered: Sequence[str]) -> CangkuError:
    listed = ", ".join(offered)
    example = offered[0] if offered else "number"
    return CangkuError(
        f'This list cannot be sorted by "{name}". It can be sorted by: {listed} (a "-" in front sorts descending, e.g. -{example}).',
        f"此列表不能按“{name}”排序。可用的排序字段：{listed}（前加“-”为降序，如 -{example}）。",
        code="invalid_sort",
        field="sort",
        sort=name,
        allowed=list(offered),
    )


def unseen(actor: Actor, shown_as: type[msgspec.Struct]) -> frozenset[str]:
    """The fields of a list's rows (`shown_as`, their response type) this actor may not see, so may not sort by either."""
    lacking = visibility.hidden(actor)
    return frozenset(field for field, permission in visibility.FIELDS.get(shown_as, {}).items() if permission in lacking)


def looked_up(value: Any, where: Any) -> Any:
    """A field of another record to sort by (a partner's code, a location's, the number of the order a document belongs
    to): a correlated subquery, `looked_up(Partner.code, Partner.id == Bill.supplier_id)`."""
    return select(value).where(where).scalar_subquery()
