"""Send an online shop's orders to Cangku: each is taken once, however often it is sent.

    CANGKU_URL=https://erp.example.com CANGKU_USER=shop-bot CANGKU_PASSWORD=... python examples/shop_orders.py orders.json

`orders.json` holds a list of orders in the shape of `POST /api/v1/shop-orders` (see README "Orders from online
shops"), e.g.

    [{"shop": "TMALL-01", "order_id": "20261204-0001", "customer": "ONLINE", "warehouse": "WH1",
      "ordered_at": "2026-12-04T09:30:00+08:00",
      "buyer": {"name": "张三", "phone": "138 0000 0000", "address": "上海市浦东新区示范路 1 号"},
      "lines": [{"sku": "PEN", "qty": "2", "unit_price": "3.50"}]}]

The account signs in as a salesperson (role `sales`). A request that times out or meets a server error is sent again,
unchanged: the shop's order id makes that safe. The script prints what became of each order — confirmed, or taken as a
draft for a person to see to (short of stock, over the credit limit) — and stops at an order Cangku refuses (a SKU it
does not know, say), naming the problem. Only httpx is needed (`pip install httpx`).
"""

from __future__ import annotations

import json
import os
import sys
import time

import httpx

RETRIES = 5


def send(client: httpx.Client, order: dict) -> dict:
    """POST one order, again after a timeout or a 5xx (with a growing pause), until Cangku answers it."""
    for attempt in range(RETRIES):
        try:
            response = client.post("/api/v1/shop-orders", json=order)
        except httpx.TransportError as error:
            problem = str(error) or type(error).__name__
        else:
            if response.status_code < 500:
                if response.status_code >= 400:
                    body = response.json()
                    raise SystemExit(f"order {order.get('order_id')}: {response.status_code} {body.get('error')}: {body.get('message')}")
                return response.json()
            problem = f"HTTP {response.status_code}"
        pause = 2**attempt
        print(f"order {order.get('order_id')}: {problem}; sending it again in {pause} s", file=sys.stderr)
        time.sleep(pause)
    raise SystemExit(f"order {order.get('order_id')}: no answer after {RETRIES} tries")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    base = os.environ.get("CANGKU_URL", "http://127.0.0.1:8000")
    with open(sys.argv[1], encoding="utf-8") as file:
        orders = json.load(file)
    with httpx.Client(base_url=base, timeout=30) as client:
        signed_in = client.post("/api/v1/auth/login", json={"username": os.environ["CANGKU_USER"], "password": os.environ["CANGKU_PASSWORD"]})
        if signed_in.status_code != 200:
            raise SystemExit(f"sign-in refused: {signed_in.text}")
        client.headers["Authorization"] = f"Bearer {signed_in.json()['token']}"
        for order in orders:
            taken = send(client, order)
            so = taken["order"]
            what = "new" if taken["created"] else "taken before"
            state = f"held as a draft: {taken['held']['message_en']}" if taken.get("held") else so["status"]
            print(f"{order['shop']} {order['order_id']} -> {so['number']} ({what}, {state})")


if __name__ == "__main__":
    main()
