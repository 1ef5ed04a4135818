// Units and discounts on the desk's documents: a line counts in its item's own unit or in one of its packs (a carton of
// 12), its quantity kept in base units; what the purchasing and the sales pages share of showing and choosing them.

import * as sync from "../sync.js";
import { h } from "../ui.js";
import { enc, num } from "../desk.js";

/** A figure as the API writes one: at most six decimals, no trailing zeros. */
export const figure = (value) => String(Number(value.toFixed(6)));
/** A base-unit quantity counted in a unit of `factor` base units (120 pcs: 10 cartons of 12). */
export const inUnit = (qty, factor) => figure(Number(qty) / Number(factor || 1));
export const discounted = (value) => Boolean(Number(value));
/** What one unit is: "carton (12 pcs)"; the item's own unit as it is. */
export const unitText = (unit, factor, base) => (Number(factor || 1) !== 1 && base ? `${unit} (${factor} ${base})` : unit);

/** The units an item's lines may count in, once per form: its own unit first, then the packs its barcodes name (a carton
 *  of 12); a pack of one is the item's own unit by another name, so it is not offered. `items` already fetched are used
 *  as they are. */
export function unitChoices(items = []) {
  const unitsOf = (item) => {
    const packs = new Map(item.barcodes.filter((b) => b.pack && b.pack !== item.unit && Number(b.qty) !== 1).map((b) => [b.pack, b.qty]));
    return { unit: item.unit, packs: [...packs].map(([name, factor]) => ({ name, factor })) };
  };
  const known = new Map(items.filter((i) => i.barcodes).map((i) => [i.sku, Promise.resolve(unitsOf(i))]));
  return (sku) => {
    if (!known.has(sku)) {
      known.set(sku, sync.api(`/api/v1/items/${enc(sku)}`).then(unitsOf).catch(() => {
        known.delete(sku);  // an unknown SKU: the server names it when the form is saved
        return null;
      }));
    }
    return known.get(sku);
  };
}

/** Offer in `select` the units of the item `skuInput` names, once they are known (`unitsOf`: a unitChoices()), keeping the
 *  one chosen when the item has it; nothing if the SKU changed meanwhile. */
export async function offerUnits(unitsOf, select, skuInput) {
  const sku = skuInput?.value.trim();
  if (!select || !sku) return;
  const units = await unitsOf(sku);
  if (!units || skuInput.value.trim() !== sku) return;
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, units.unit),
    ...units.packs.map((p) => h("option", { value: p.name }, unitText(p.name, p.factor, units.unit))));
  select.value = units.packs.some((p) => p.name === chosen) ? chosen : "";
}

/** Whether a document's lines count anything in packs: then each line names its unit. */
export const inPacks = (lines) => lines.some((l) => Number(l.unit_factor || 1) !== 1);

/** A line's quantity in the unit it counts in, named when `named`, with what a pack of them is in the item's own unit when
 *  the line says it ("10 carton = 120 pcs"); a document all in the items' own units shows its figures as before. */
export function qtyCell(line, named) {
  if (!named) return num(line.qty);
  const base = Number(line.unit_factor) !== 1 && line.base_unit ? h("small", { class: "base-qty", "data-field": "base-qty" }, `= ${line.qty} ${line.base_unit}`) : null;
  return num([`${line.unit_qty} ${line.unit}`, base]);
}
