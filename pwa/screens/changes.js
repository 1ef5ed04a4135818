// What changed between two versions of a document, as a person reads it.

import { t } from "../i18n.js";
import { h, money } from "../ui.js";

// What changed in an order, as a person reads it. Only what they decide on is shown; bookkeeping (who approved, the
// status) is left out. How each field's values read:
const CHANGED = {
  supplier: String, expected_date: String, note: String, total: money,
  sku: String, qty: String, unit_price: money, vat_rate: (rate) => `${rate}%`,
};

/** A text with its {placeholders} filled in. */
const fill = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, name) => values[name]);

export const changed = (field, value) => (value === null || value === undefined || value === "" ? "—" : CHANGED[field](value));

/** One change ({line, field, before, after}) in words, or null for one a person need not read; `lines` (the order's
 *  lines now) name the item of a line that changed. */
function changeText(c, lines = []) {
  if (c.field === "line") {
    const { sku, qty, unit_price: price } = c.after || c.before;
    const what = fill(price == null ? "change line goods" : "change line goods at", { sku, qty, price: money(price) });
    return fill(c.before === null ? "change line added" : "change line removed", { n: c.line, what });
  }
  if (!Object.hasOwn(CHANGED, c.field)) return null;
  const text = `${t(`change ${c.field}`)} ${changed(c.field, c.before)} → ${changed(c.field, c.after)}`;
  if (!c.line) return text;
  const sku = lines.find((line) => line.line === c.line)?.sku;
  return `${sku ? fill("change in line of", { n: c.line, sku }) : fill("change in line", { n: c.line })}${text}`;
}

/** The changes a person reads, as a list; null when none is left to read. */
export function changeList(changes, lines = []) {
  const items = changes.map((c) => [c, changeText(c, lines)]).filter(([, text]) => text);
  return items.length ? h("ul", { class: "changes" }, items.map(([c, text]) => h("li", { "data-change": c.field }, text))) : null;
}
