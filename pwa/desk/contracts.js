// Sales contracts in the back office (销售合同): a customer's agreed prices, and quantities, for a period; what the orders
// drawing each took and what remains. On the sales order form: the contract an order draws, and what it breaks of it.

import * as sync from "../sync.js";
import { language } from "../i18n.js";
import { h, go, say, money, scroller } from "../ui.js";
import {
  back, by, cell, deskTexts, documentActions, enc, facts, formField, grid, history, link, load, may, named, num, pagedList, put, recordForm, row,
  when, zone,
} from "../desk.js";
import { offerUnits as offerUnitsOf, unitChoices, unitText } from "./units.js";

// Door names read from the desk's own table (documentActions reads "action <door>" there).
deskTexts({ "action activate": ["生效", "Put into force"] });

const { t, known, stateOptions } = deskTexts({
  "sales-contracts": ["销售合同", "Sales contracts"],
  "new contract": ["新建销售合同", "New contract"],
  "create contract": ["创建合同", "Create the contract"],
  "edit contract": ["修改销售合同", "Change the contract"],
  contract: ["销售合同", "Contract"],
  "valid from": ["生效日期", "Valid from"],
  "valid to": ["截止日期", "Valid to"],
  validity: ["有效期", "Valid"],
  "customer currency": ["客户币种", "The customer's currency"],
  "agreed price": ["约定单价", "Agreed price"],
  "agreed qty": ["约定数量", "Agreed quantity"],
  "agreed qty hint": ["不填则只约定价格", "Leave empty for a price-only agreement"],
  "price only": ["仅约定价格", "Price only"],
  drawn: ["已执行", "Drawn"],
  remaining: ["剩余", "Remaining"],
  over: ["超出", "Over"],
  pending: ["草稿订单中", "On draft orders"],
  "orders drawing": ["执行本合同的订单", "Orders drawing this contract"],
  "no orders drawing": ["还没有订单执行本合同", "No order has drawn on this contract yet"],
  counts: ["计入执行", "Counts"],
  draws: ["执行数量", "Draws"],
  warnings: ["合同提示", "Warnings"],
  expired: ["已过期", "Expired"],
  "add contract line": ["添加一行", "Add a line"],
  "remove contract line": ["删除第几行：", "Remove line"],
  "item unit": ["商品单位", "The item's unit"],
  "state active": ["生效中", "In force"],
  "state closed": ["已关闭", "Closed"],
  "no contract": ["不按合同", "No contract"],
  until: ["至", "until"],
  "contract price": ["合同价", "Contract price"],
  "contract warnings": ["超出销售合同的约定", "Beyond the sales contract"],
  "contract warnings hint": ["仍可确认；确认后订单会记录这些提示和确认人。",
    "It may still be confirmed; the order then keeps these warnings and who confirmed it."],
  "contract warnings kept": ["确认时的合同提示", "What the contract warned of when the order was confirmed"],
  "contract exceeded by": ["超合同确认人", "Confirmed past the contract by"],
}, "contracts");
const STATES = ["draft", "active", "closed", "cancelled"];

const api = sync.api;
const redraw = () => go(location.hash);
/** Today in the company's zone, as the API writes a date. */
const today = () => new Intl.DateTimeFormat("sv-SE", { timeZone: zone() }).format(new Date());
const state = (c) => (c.expired ? `${known("state", c.status)} · ${t("expired")}` : known("state", c.status));
const withUnit = (qty, unit) => (qty === null || qty === undefined ? "—" : `${qty} ${unit}`);

// The list -----------------------------------------------------------------------------------------

async function contracts(here, panel, number) {
  if (number === "new") return contractForm(here, panel, null);
  if (number) return contract(here, panel, number);
  put(panel,
    may("sales.contracts") ? h("p", { class: "actions" }, h("a", { href: "#/office/sales-contracts/new", class: "button", "data-action": "new" }, t("new contract")))
      : null,
    pagedList(here, {
      key: "sales-contracts",
      filters: [{ name: "status", label: t("status"), options: stateOptions(STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") },
        { name: "sku", label: t("sku"), placeholder: t("sku") }],
      columns: [by("number", t("number")), by("status", t("status")), by("customer", t("customer")), by("currency", t("currency")),
        by("valid_from", t("valid from")), by("valid_to", t("valid to")), t("lines"), by("created_at", t("created"))],
      fetchPage: (params) => api("/api/v1/sales-contracts", { params }),
      draw: (c) => row({ "data-contract": c.number }, [link("sales-contracts", c.number), state(c), c.customer, c.currency, c.valid_from, c.valid_to,
        { text: c.lines.map((l) => `${l.sku} ${money(l.unit_price)}/${l.unit}`).join(", "), wrap: true }, when(c.created_at)]),
    }));
}

// Writing one -------------------------------------------------------------------------------------

/** The lines of a contract being written: SKU, the unit it is agreed in (the item's own or a pack), the price per that unit
 *  and, unless on price only, the quantity in that unit. */
function contractLines(initial, items) {
  const body = h("tbody");
  const unitsOf = unitChoices(items);
  const offerUnits = (tr) => offerUnitsOf(unitsOf, tr.querySelector("[data-field=unit]"), tr.querySelector("[data-field=sku]"));
  const renumber = () => [...body.rows].forEach((tr, i) => {
    tr.dataset.row = String(i + 1);
    tr.cells[0].textContent = String(i + 1);
    for (const input of tr.querySelectorAll("[data-label]")) input.setAttribute("aria-label", `${t(input.dataset.label)} ${i + 1}`);
    tr.querySelector("[data-action=remove-line]").setAttribute("aria-label", `${t("remove contract line")} ${i + 1}`);
  });
  const add = (line = {}) => {
    const tr = h("tr", { "data-row": "" },
      h("td", { class: "num" }),
      h("td", {}, h("input", { "data-field": "sku", "data-label": "sku", list: "contract-items", required: true, autocomplete: "off", value: line.sku ?? "",
        size: 10, onchange: () => offerUnits(tr) })),
      h("td", {}, h("select", { "data-field": "unit", "data-label": "unit", onfocus: () => offerUnits(tr) },
        h("option", { value: "" }, line.base_unit || t("item unit")),
        line.unit && line.unit !== line.base_unit ? h("option", { value: line.unit, selected: true }, unitText(line.unit, line.unit_factor, line.base_unit)) : null)),
      h("td", {}, h("input", { "data-field": "unit_price", "data-label": "agreed price", inputmode: "decimal", required: true, autocomplete: "off",
        value: line.unit_price ?? "", size: 8 })),
      h("td", {}, h("input", { "data-field": "qty", "data-label": "agreed qty", inputmode: "decimal", autocomplete: "off", value: line.unit_qty ?? "", size: 8,
        placeholder: t("price only") })),
      h("td", {}, h("button", { type: "button", "data-action": "remove-line", onclick: () => {
        const next = tr.nextElementSibling || tr.previousElementSibling;
        tr.remove();
        renumber();
        (next?.querySelector("[data-field=sku]") || addButton).focus();
      } }, "✕")));
    body.append(tr);
    renumber();
    if (line.sku) offerUnits(tr);
    return tr;
  };
  const addButton = h("button", { type: "button", "data-action": "add-line", onclick: () => add().querySelector("[data-field=sku]").focus() },
    t("add contract line"));
  (initial.length ? initial : [{}]).forEach(add);
  const element = h("div", { class: "line-editor", id: "contract-line-editor", role: "group", "aria-labelledby": "contract-line-editor-title" },
    h("h4", { id: "contract-line-editor-title" }, t("lines")),
    scroller(h("table", {},
      h("thead", {}, h("tr", {}, [num(t("line")), t("sku"), t("unit"), t("agreed price"), t("agreed qty"), ""].map((c) =>
        h("th", { scope: "col", class: c?.num ? "num" : null }, c?.text ?? c)))),
      body)),
    h("p", { class: "muted" }, t("agreed qty hint")),
    h("p", {}, addButton));
  const values = () => [...body.rows].map((tr) => {
    const line = {};
    for (const input of tr.querySelectorAll("[data-field]:is(input, select)")) if (input.value.trim()) line[input.dataset.field] = input.value.trim();
    return line;
  }).filter((line) => Object.keys(line).length);
  /** Mark the line a refusal is about ($.lines[1].qty, lines[0].unit_price, or the SKU the server names). */
  const mark = (error) => setTimeout(() => {
    const details = error?.body?.details || {};
    const key = String(details.errors?.[0]?.key || details.field || "");
    const at = /lines\[(\d+)\](?:\.(\w+))?/.exec(key);
    const tr = at ? body.rows[Number(at[1])] : [...body.rows].find((r) => details.sku && r.querySelector("[data-field=sku]").value.trim() === details.sku);
    const input = (at?.[2] && tr?.querySelector(`[data-field="${at[2]}"]`)) || tr?.querySelector("[data-field=sku]");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  }, 0);
  return { element, values, mark };
}

/** A new contract, or (`found`) a draft one changed: customer, currency, dates, note and lines. */
async function contractForm(here, panel, found, element = panel) {
  const known_ = await load(here, panel, Promise.all([
    api("/api/v1/partners", { params: { kind: "customer", limit: 500 } }),
    api("/api/v1/items", { params: { active: true, limit: 500 } }),
    api("/api/v1/currencies"),
  ]));
  if (!known_) return;
  const [customers, items, currencies] = known_;
  const editor = contractLines(found ? found.lines : [], items.items);
  const path = found ? `/api/v1/sales-contracts/${enc(found.number)}` : "/api/v1/sales-contracts";
  const form = recordForm({
    id: "contract-form", title: t(found ? "edit contract" : "new contract"), label: found ? undefined : t("create contract"),
    fields: [
      formField({ name: "customer", label: t("customer"), required: true, list: "contract-customers", value: found?.customer }),
      formField({ name: "currency", label: t("currency"), value: found?.currency ?? "",
        options: [["", t("customer currency")], ...currencies.map((c) => [c.code, `${c.code} · ${named(c)}`])] }),
      formField({ name: "valid_from", label: t("valid from"), type: "date", required: true, value: found?.valid_from ?? today() }),
      formField({ name: "valid_to", label: t("valid to"), type: "date", required: true, value: found?.valid_to ?? "" }),
      formField({ name: "note", label: t("note"), type: "textarea", value: found?.note ?? "" }),
    ],
    submit: async (values) => {
      const body = { customer: values.customer ?? "", valid_from: values.valid_from ?? "", valid_to: values.valid_to ?? "", lines: editor.values(),
        ...(values.currency ? { currency: values.currency } : {}), ...(found ? { version: found.version, note: values.note ?? "" } : values.note ? { note: values.note } : {}) };
      try {
        return await api(path, { method: found ? "PATCH" : "POST", body });
      } catch (error) {
        editor.mark(error);
        throw error;
      }
    },
    saved: (c) => {
      say("ok", `${c.number} · ${t("saved")}`);
      if (found) redraw();
      else go(`#/office/sales-contracts/${enc(c.number)}`);
    },
    cancel: found ? () => {
      put(element);
      document.querySelector("[data-action=edit]")?.focus();
    } : null,
  });
  form.querySelector(".fields").after(editor.element);
  const choices = [h("datalist", { id: "contract-customers" }, customers.items.map((c) => h("option", { value: c.code }, named(c)))),
    h("datalist", { id: "contract-items" }, items.items.map((i) => h("option", { value: i.sku }, named(i))))];
  put(element, found ? null : back("sales-contracts"), form, choices);
  form.querySelector("[name=customer]").focus();
}

// One contract --------------------------------------------------------------------------------------

async function contract(here, panel, number) {
  const c = await load(here, panel, api(`/api/v1/sales-contracts/${enc(number)}`));
  if (!c) return;
  const path = `/api/v1/sales-contracts/${enc(c.number)}`;
  const editing = h("div", { id: "contract-edit" });
  const figure = (l, key, value, attrs = {}) => cell("td", num(value), { "data-field": key, ...attrs });
  put(panel,
    back("sales-contracts"),
    h("h3", {}, `${c.number} · ${c.customer}`),
    facts([[t("status"), state(c), { "data-field": "status" }], [t("customer"), h("span", {}, link("partners", c.customer), " ", named({
      name_zh: c.customer_name_zh, name_en: c.customer_name_en }))], [t("currency"), c.currency, { "data-field": "currency" }],
    [t("validity"), `${c.valid_from} – ${c.valid_to}`, { "data-field": "validity" }], [t("note"), c.note], [t("created by"), c.created_by],
    [t("created"), when(c.created_at)], [t("version"), c.version]]),
    documentActions(c, { path, ask: { cancel: "reason" }, run: { edit: () => contractForm(here, panel, c, editing) }, done: redraw }),
    editing,
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), t("name"), t("unit"), num(t("agreed price")), num(t("agreed qty")), num(t("drawn")), num(t("remaining")), num(t("over")),
      num(t("pending"))],
    c.lines.map((l) => h("tr", { "data-sku": l.sku, "data-line": l.line, class: Number(l.over) > 0 ? "below-cost" : null },
      cell("td", num(String(l.line))), cell("td", link("items", l.sku)), cell("td", named(l)), cell("td", unitText(l.unit, l.unit_factor, l.base_unit)),
      figure(l, "unit-price", `${money(l.unit_price)} ${c.currency}`),
      figure(l, "agreed", l.qty === null ? t("price only") : l.unit !== l.base_unit ? `${l.unit_qty} ${l.unit} = ${l.qty} ${l.base_unit}` : withUnit(l.qty, l.base_unit)),
      figure(l, "drawn", withUnit(l.drawn, l.base_unit)), figure(l, "remaining", withUnit(l.remaining, l.base_unit)),
      figure(l, "over", Number(l.over) > 0 ? withUnit(l.over, l.base_unit) : "—"), figure(l, "pending", withUnit(l.pending, l.base_unit)))),
    { id: "contract-lines" }),
    h("h4", {}, t("orders drawing")),
    c.orders.length
      ? grid([t("number"), t("status"), t("created"), t("draws"), t("counts"), num(t("warnings"))],
        c.orders.map((o) => row({ "data-so": o.number }, [link("sales-orders", o.number), known("state", o.status), when(o.created_at),
          o.draws.map((d) => `${d.sku} × ${d.qty}`).join(", "), o.counts ? t("yes") : t("no"), num(String(o.warnings))])), { id: "contract-orders" })
      : h("p", { class: "muted", id: "contract-orders" }, t("no orders drawing")),
    history("sales_contract", c.number));
}

// On the sales order ----------------------------------------------------------------------------------

/** The sales order form's contract picker: filled with the chosen customer's contracts in force today (see `watchContracts`). */
export const contractField = () => formField({ name: "contract", label: t("contract"), options: [["", t("no contract")]] });

/** Offer the customer's contracts in force today whenever the customer changes; whenever the contract changes, the lines
 *  are priced again (a contract's price comes before the price list). */
export function watchContracts(form, editor) {
  const select = form.querySelector("[name=contract]");
  if (!select || !may("prices.read")) return;
  let asked = "";
  const offer = async () => {
    const customer = form.querySelector("[name=customer]").value.trim();
    if (customer === asked) return;
    asked = customer;
    let found = { items: [] };
    if (customer) {
      try {
        found = await api("/api/v1/sales-contracts", { params: { customer, status: "active", valid_on: today(), limit: 100 } });
      } catch {
        found = { items: [] };  // an unknown customer: the server says so when the order is saved
      }
    }
    if (asked !== customer) return;  // the customer changed again meanwhile
    const chosen = select.value;
    select.replaceChildren(h("option", { value: "" }, t("no contract")),
      ...found.items.map((c) => h("option", { value: c.number }, `${c.number} · ${c.currency} · ${t("until")} ${c.valid_to}`)));
    select.value = found.items.some((c) => c.number === chosen) ? chosen : "";
    if (select.value !== chosen) editor.proposeAll();
  };
  form.querySelector("[name=customer]").addEventListener("change", offer);
  select.addEventListener("change", () => editor.proposeAll());
}

/** The hint under a line's price when its contract set it. */
export const contractPriceHint = (answer, unit) => `${t("contract price")} ${money(answer.unit_price)} (${answer.contract})${unit ? ` / ${unit}` : ""}`;

/** An order's contract among its facts, and who confirmed it past the contract. */
export const contractFacts = (so) => [
  so.contract ? [t("contract"), link("sales-contracts", so.contract), { "data-field": "contract" }] : null,
  so.contract_exceeded_by ? [t("contract exceeded by"), so.contract_exceeded_by, { "data-field": "contract-exceeded" }] : null,
];

/** What an order breaks of its contract: a draft's as confirming it now would (it may still be confirmed), a confirmed
 *  order's as they were when it was. */
export function contractWarnings(so) {
  const warned = so.contract_warnings || [];
  if (!warned.length) return null;
  const draft = so.status === "draft";
  return h("section", { class: "below-cost-notice", id: "contract-warnings", role: draft ? "status" : null, "aria-labelledby": "contract-warnings-title" },
    h("h4", { id: "contract-warnings-title" }, t(draft ? "contract warnings" : "contract warnings kept")),
    h("ul", {}, warned.map((w) => h("li", { "data-kind": w.kind, "data-line": w.line ?? "" }, language() === "zh" ? w.message_zh : w.message_en))),
    draft ? h("p", { "data-field": "hint" }, t("contract warnings hint")) : null);
}

export const sections = {
  "sales-contracts": { draw: contracts, group: "sales", may: () => may("prices.read"), label: () => t("sales-contracts") },
};
