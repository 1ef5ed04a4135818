// Bin to bin transfers.

import * as sync from "../sync.js";
import * as scan from "../scan.js";
import { inBoth, t } from "../i18n.js";
import { h, say, quiet, dec, fmt, screen, working } from "../ui.js";
import { unfinishedWork } from "./shared.js";

/** Bin to bin: scan where from, the items (each scan counts its pack), then where to; every line goes to the outbox. */
export async function transfer(startAt) {
  const work = unfinishedWork("transfer", () => ({ from: null, lines: new Map() }));  // lines: sku|lot -> {sku, lot, qty}
  if (startAt && !work.lines.size) work.from = startAt;  // started from a bin's scan screen: that bin is the source
  const lines = work.lines;
  const panel = h("div", { id: "transfer" });
  screen(t("transfer"), panel);
  const draw = () => {
    panel.replaceChildren(
      h("p", {}, !work.from ? t("scan the from bin") : !lines.size ? t("scan the items") : t("scan the to bin")),
      h("p", {}, `${t("from")}: `, h("strong", { "data-field": "from" }, work.from || "—")),
      h("ul", { class: "list" }, [...lines.values()].map((l) => h("li", { "data-sku": l.sku }, `${l.sku}${l.lot ? ` · ${l.lot}` : ""}`,
        h("strong", {}, fmt(l.qty))))),
      work.from ? h("button", { type: "button", onclick: () => { work.from = null; lines.clear(); quiet(); draw(); } }, t("cancel")) : "");
  };
  working(async (code) => {
    const found = await scan.resolve(code);
    if (found.kind === "location") {
      if (!work.from) {
        work.from = found.code;
      } else if (!lines.size) {
        work.from = found.code;  // a second bin before any item: the picker changed their mind
      } else {
        if (found.code === work.from) {
          scan.error();
          return say("error", t("same bin"));
        }
        // Taken off the screen at once, so a scan arriving meanwhile starts the next transfer.
        const [source, carried] = [work.from, [...lines.values()]];
        work.from = null;
        lines.clear();
        draw();
        for (const line of carried) {
          await sync.queue("transfer.confirm", { sku: line.sku, qty: fmt(line.qty), from: source, to: found.code, ...(line.lot ? { lot: line.lot } : {}) },
            inBoth((t) => `${t("transfer")} ${line.sku} × ${fmt(line.qty)} ${source} → ${found.code}`));
        }
        say("ok", `${t("moved")} ${carried.length} ${t(carried.length === 1 ? "line" : "lines")} ${source} → ${found.code}`);
      }
      scan.ok();
      return draw();
    }
    if (found.kind !== "item" || !work.from) {
      scan.error();
      return say("error", work.from ? `${t("unknown code")}: ${code}` : t("scan the from bin"));
    }
    const key = `${found.sku}|${found.lot || ""}`;
    const line = lines.get(key) || { sku: found.sku, lot: found.lot || null, qty: 0 };
    line.qty += dec(found.qty || 1);
    lines.set(key, line);
    scan.ok();
    draw();
  });
  draw();
}
