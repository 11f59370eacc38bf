"""Pagination for lists at the scale of a region (bench/RESULTS.md)."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` rows.

    Counting tens of thousands of visible rows costs more than the page itself (bench/RESULTS.md),
    and nobody pages past the first thousand: the filters narrow the list.
    The count stops after `cap + 1` rows, without sorting them.
    """

    # A queryset only (it is counted with .order_by()), never a list.
    object_list: QuerySet[Any]
    cap = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


@dataclass(frozen=True)
class KeysetPage:
    """One page of a keyset pagination (see `keyset_page`)."""

    object_list: list
    has_previous: bool
    has_next: bool
    count: int  # of all the rows, at most cap + 1
    cap: int

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    @property
    def first_pk(self):
        return self.object_list[0].pk if self.object_list else None

    @property
    def last_pk(self):
        return self.object_list[-1].pk if self.object_list else None


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    per_page: int,
    after=None,
    before=None,
    cap: int = CappedPaginator.cap,
    count: int | None = None,
) -> KeysetPage:
    """The page of `queryset` that follows the row `after` (or precedes the row `before`).

    Pagination by keyset (bench/RESULTS.md): a deep page reads `per_page` rows from where the
    previous
    one ended, through the index of `ordering`, instead of reading and skipping every row before
    it (`OFFSET`: 92 ms at page 400 of a structure's 20,000 patients, against 1.4 ms). Pages
    are asked from one row's primary key (never from its values: a name stays out of the
    request); a key that is malformed or not in `queryset` (a row since hidden) gives the first
    page. `ordering`: ascending, non-null fields ending with the primary key (a total order).
    `count`: the number of rows of `queryset` up to `cap + 1`, when the caller counts them
    faster than a count of `queryset` would; otherwise they are counted here.
    """
    anchor_pk, forward = (before, False) if before and not after else (after, True)
    anchor = _anchor_values(queryset, ordering, anchor_pk) if anchor_pk else None
    if anchor is None:
        forward = True
        rows = list(queryset.order_by(*ordering)[: per_page + 1])
    else:
        rows = list(
            queryset.filter(_beyond(ordering, anchor, forward)).order_by(
                *(name if forward else f"-{name}" for name in ordering)
            )[: per_page + 1]
        )
    more = len(rows) > per_page
    rows = rows[:per_page]
    if not forward:
        rows.reverse()
    if count is None:
        count = queryset.order_by()[: cap + 1].count()
    return KeysetPage(
        object_list=rows,
        # Forward from an anchor: the anchor itself came before; backward: it comes after.
        has_previous=more if not forward else anchor is not None,
        has_next=more if forward else True,
        count=count,
        cap=cap,
    )


def _anchor_values(queryset: QuerySet, ordering: tuple[str, ...], pk) -> tuple | None:
    try:
        return queryset.filter(pk=pk).values_list(*ordering).first()
    except (ValidationError, ValueError, TypeError):  # not a key of this model
        return None


def _beyond(ordering: tuple[str, ...], values: tuple, forward: bool) -> Q:
    """Rows strictly after (or before) `values` in `ordering`, as the index can read them.

    `(a, b, pk) > (x, y, z)` is written `a >= x AND (a > x OR (a = x AND (b > y OR (b = y AND
    pk > z))))`: the first term bounds the index scan, the rest is exact.
    """
    strict, loose = ("gt", "gte") if forward else ("lt", "lte")
    condition = Q(**{f"{ordering[-1]}__{strict}": values[-1]})
    for name, value in zip(reversed(ordering[:-1]), reversed(values[:-1]), strict=True):
        condition = Q(**{f"{name}__{strict}": value}) | (Q(**{name: value}) & condition)
    return Q(**{f"{ordering[0]}__{loose}": values[0]}) & condition
