// Home: the tasks of the day with their counts, and what else the user may open.

import * as store from "../store.js";
import * as sync from "../sync.js";
import { t } from "../i18n.js";
import { h, dec, screen, working, showing, go } from "../ui.js";
import { refreshApprovals } from "./approvals.js";
import { refreshCounts } from "./counting.js";
import { refreshShipments } from "./packing.js";
import { refreshOrders } from "./receiving.js";
import { can, mayApprove, signOut, warehouse, worksInWarehouse } from "./shared.js";
import { openPicks, openPutaways, refreshTasks } from "./tasks.js";
import { incomingTransfers, refreshTransfersIn } from "./transfer_in.js";

export async function home(current, refreshed = false) {
  const here = location.hash;
  const worker = worksInWarehouse(current);
  const receivesTransfers = worker && can(current, "stock.move");  // taking a transfer in moves stock
  working(async (code) => go(`#/${worker ? "scan" : "stock"}/${encodeURIComponent(code)}`));  // what a scan here looks up
  const status = await sync.status();
  const wh = await warehouse();
  const counts = {
    receive: (await store.docs("po")).filter((d) => d.warehouse === wh).length,
    pick: (await openPicks()).length,
    putaway: (await openPutaways()).length,
    count: (await store.docs("count")).length,
    transfersIn: receivesTransfers ? (await incomingTransfers(false)).length : 0,
    approvals: (await store.docs("approval")).length,
    pack: (await store.docs("so")).filter((d) => d.warehouse === wh && d.lines.some((line) => dec(line.picked) > dec(line.packed) || d.status === "packed")).length,
  };
  if (!showing(here)) return;  // nothing is awaited from here on: another screen cannot be drawn over
  const badge = (n) => (n ? h("span", { class: "badge" }, n) : null);
  const tile = (task, label, n) => h("button", { onclick: () => go(`#/${task}`), "data-task": task }, t(label), " ", badge(n));
  screen(`${current.user.display_name || current.user.username}${wh ? ` · ${wh}` : ""}`,
    h("div", { class: "tiles" },
      worker ? [
        tile("receive", "receive", counts.receive),
        tile("pick", "pick", counts.pick),
        tile("putaway", "putaway", counts.putaway),
        tile("pack", "pack", counts.pack),
        tile("transfer", "transfer", 0),
        receivesTransfers ? tile("transfers-in", "transfers in", counts.transfersIn) : null,
        tile("count", "count", counts.count),
        tile("scan", "scan anything", 0),
      ] : null,
      tile("stock", "stock", 0),
      can(current, "sales.write") ? [tile("order", "new order", 0), tile("orders", "my orders", 0), tile("customers", "customers", 0)] : null,
      mayApprove(current) ? tile("approvals", "approvals", counts.approvals) : null,
      tile("issues", "issues", status.issues.length),
      tile("office", "office", 0),
      worker ? h("button", { onclick: () => sync.syncNow() }, t("sync now")) : null,
      worker ? h("button", { onclick: () => go("#/warehouse") }, t("warehouse")) : null,
      h("button", { onclick: () => signOut() }, t("sign out"))));
  if (refreshed) return;
  // The tasks of the day, fetched again when online; the tiles are drawn again with their new counts.
  await Promise.all([...(worker ? [refreshOrders(), refreshTasks(), refreshCounts(), refreshShipments()] : []),
    receivesTransfers ? refreshTransfersIn() : null,
    mayApprove(current) ? refreshApprovals() : null]);
  if (showing(here)) home(current, true);
}
