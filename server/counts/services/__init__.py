"""Stocktakes: freeze the book, count blind, review the variances, post the differences as adjustment moves.

The rules this package chose:

- **Frozen book.** Starting a count copies the book quantity of every (location, item, lot) in scope
  into its lines and remembers the last move those quantities include (`start_move_id`). On
  PostgreSQL the start waits for the moves in flight to commit and holds new ones back for its own
  few statements, so no move is both in the frozen book and "after the start", or in neither.
- **Moves during the count are carried forward.** A line's variance is
  counted − (frozen book + net moves of that location/item/lot after the start and up to the moment
  it was counted). A pick between the start and the count is neither a loss nor counted twice; a
  pick after the count does not make the count wrong.
- **Blind counts.** While a stocktake is counting, a user with the warehouse role who may not see
  costs sees what to count and what was counted, never the book quantity, the moves since the start,
  the expected quantity or the variance. Once posted or cancelled, everyone sees them. Values (at
  moving-average cost) are shown only to roles that may see costs.
- **Uncounted lines** are left alone when posting: "not counted" is not "counted zero". Posting with
  `zero_uncounted` counts them as 0 at the moment of posting (the bins were emptied, or the counter
  is sure they are empty).
- **Who.** Starting and recording counts need `stock.move`. Sending lines back for recount, posting
  and cancelling need `stock.count_post` (today: admin): it writes the differences to the books.
- Serial-numbered items are not counted by quantity here: their stock is a set of serials.

One module per step: `starting` (scope, frozen book), `counting`, `review` (count sheet, variances,
recount), `posting` (and cancelling); with them `lists`, and `common` (what the steps share).
"""

from server.counts.services.common import ZERO, get_count, hides_book
from server.counts.services.counting import CountIn, record_counts
from server.counts.services.lists import LINE_STATES, count_sort, list_counts, tallies
from server.counts.services.posting import cancel_count, post_count
from server.counts.services.review import LineRow, Variances, count_lines, request_recount, variances
from server.counts.services.starting import start_count

__all__ = [
    "ZERO",
    "hides_book",
    "get_count",
    "start_count",
    "CountIn",
    "record_counts",
    "LineRow",
    "count_lines",
    "Variances",
    "variances",
    "request_recount",
    "post_count",
    "cancel_count",
    "LINE_STATES",
    "count_sort",
    "list_counts",
    "tallies",
]
