from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """A paginator that counts at most `cap` rows.

    Counting tens of thousands of visible rows costs more than the page itself (issue 8,
    bench/RESULTS.md), and nobody pages past the first thousand: the filters narrow the list.
    The count stops after `cap + 1` rows, without sorting them.
    """

    cap = 1000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap
