"""Sales rules: quotes, orders (credit check, reservation), waves and picking (FEFO, bin route), packing (SSCC),
shipping (short: the rest kept on a backorder or cancelled), invoices and credit notes, returns.

Stock moves through the warehouse's areas by convention: picked goods go from their bin to the
shipping area `<WAREHOUSE>-OUT` (still reserved for the order), shipping moves them to CUSTOMER,
returns arrive in `<WAREHOUSE>-RET` (a quarantine area) and are restocked or scrapped from there.

One module per document: `quotes`, `orders`, `picking` (waves), `shipping` (packing, backorders),
`invoices` and `returns`, and `contracts` (the sales contracts orders draw down); with them `lists`, and `common`
(what the documents share).
"""

from server.sales.services.common import CustomerPrice, customer_price, get_invoice, get_quote, get_return, get_so, get_wave
from server.sales.services.contracts import (
    ContractLineIn,
    activate_contract,
    cancel_contract,
    close_contract,
    create_contract,
    get_contract,
    list_contracts,
    update_contract,
)
from server.sales.services.invoices import apply_credit_note, cancel_invoice, create_invoice, open_receivable, post_invoice
from server.sales.services.lists import list_documents, shipped_moves, sort_fields
from server.sales.services.orders import (
    OPEN_SO_STATES,
    BelowCost,
    Exposure,
    below_cost,
    cancel_so,
    confirm_so,
    create_so,
    credit_hold,
    credit_released,
    exposure,
    override_credit,
    update_so,
)
from server.sales.services.picking import confirm_pick, create_wave, list_waves, pick_tasks
from server.sales.services.quotes import accept_quote, cancel_quote, create_quote, send_quote
from server.sales.services.returns import ReturnLineIn, create_return, dispose_return, receive_return
from server.sales.services.shipping import PackageIn, Remainder, Shortfall, backorders_of, next_sscc, pack, packages_of, ship

__all__ = [
    "get_quote",
    "get_so",
    "get_wave",
    "get_invoice",
    "get_return",
    "CustomerPrice",
    "customer_price",
    "create_quote",
    "send_quote",
    "cancel_quote",
    "accept_quote",
    "OPEN_SO_STATES",
    "create_so",
    "update_so",
    "Exposure",
    "credit_released",
    "credit_hold",
    "exposure",
    "override_credit",
    "confirm_so",
    "below_cost",
    "BelowCost",
    "cancel_so",
    "create_wave",
    "list_waves",
    "pick_tasks",
    "confirm_pick",
    "Remainder",
    "PackageIn",
    "next_sscc",
    "pack",
    "packages_of",
    "ship",
    "Shortfall",
    "backorders_of",
    "create_invoice",
    "post_invoice",
    "open_receivable", "apply_credit_note", "cancel_invoice",
    "ReturnLineIn",
    "create_return",
    "receive_return",
    "dispose_return",
    "sort_fields",
    "list_documents",
    "shipped_moves",
    "ContractLineIn",
    "get_contract",
    "list_contracts",
    "create_contract",
    "update_contract",
    "activate_contract",
    "close_contract",
    "cancel_contract",
]
