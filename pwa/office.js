// The back office on wide screens: items, partners, locations, purchase and sales documents, reports with charts.

import * as store from "./store.js";
import * as sync from "./sync.js";
import { addText, language, setLanguage, t as text } from "./i18n.js";
import { h, say, screen, working, showing, go, saveFile } from "./ui.js";

// The back office's texts live under "office." so they cannot clash with the app's; t() below reads them.
const TEXTS = {
  items: ["商品", "Items"],
  partners: ["往来单位", "Partners"],
  locations: ["库位", "Locations"],
  "purchase-orders": ["采购订单", "Purchase orders"],
  "sales-orders": ["销售订单", "Sales orders"],
  reports: ["报表", "Reports"],
  sections: ["后台栏目", "Back office sections"],
  search: ["搜索", "Search"],
  find: ["查找", "Find"],
  all: ["全部", "All"],
  status: ["状态", "Status"],
  active: ["启用", "Active"],
  inactive: ["停用", "Inactive"],
  "nothing found": ["没有找到记录", "Nothing found"],
  loading: ["正在加载…", "Loading…"],
  previous: ["上一页", "Previous"],
  next: ["下一页", "Next"],
  pages: ["翻页", "Pages"],
  more: ["显示更多", "Show more"],
  back: ["返回列表", "Back to the list"],
  sku: ["SKU", "SKU"],
  name: ["名称", "Name"],
  "name zh": ["中文名称", "Chinese name"],
  "name en": ["英文名称", "English name"],
  unit: ["单位", "Unit"],
  decimals: ["数量小数位", "Quantity decimals"],
  tracking: ["追踪方式", "Tracking"],
  "tracking none": ["不追踪", "None"],
  "tracking lot": ["按批次", "By lot"],
  "tracking serial": ["按序列号", "By serial number"],
  "shelf life": ["保质期（天）", "Shelf life (days)"],
  "reorder point": ["再订货点", "Reorder point"],
  "reorder qty": ["再订货量", "Reorder quantity"],
  vat: ["增值税率 %", "VAT %"],
  version: ["版本", "Version"],
  barcodes: ["条码", "Barcodes"],
  barcode: ["条码", "Barcode"],
  pack: ["包装", "Pack"],
  "pack qty": ["每包数量", "Quantity per pack"],
  gtin: ["GTIN", "GTIN"],
  stock: ["库存", "Stock"],
  "print label": ["打印标签（PDF）", "Print label (PDF)"],
  downloaded: ["已下载", "Downloaded"],
  warehouse: ["仓库", "Warehouse"],
  location: ["库位", "Location"],
  lot: ["批次", "Lot"],
  expiry: ["有效期至", "Expiry"],
  "on hand": ["现存量", "On hand"],
  reserved: ["已预留", "Reserved"],
  available: ["可用量", "Available"],
  code: ["编码", "Code"],
  kind: ["类型", "Kind"],
  "kind supplier": ["供应商", "Supplier"],
  "kind customer": ["客户", "Customer"],
  "kind both": ["供应商兼客户", "Supplier and customer"],
  "kind warehouse": ["仓库", "Warehouse"],
  "kind zone": ["库区", "Zone"],
  "kind bin": ["货位", "Bin"],
  "kind virtual": ["虚拟库位", "Virtual"],
  contact: ["联系人", "Contact"],
  contacts: ["联系人", "Contacts"],
  role: ["职务", "Role"],
  phone: ["电话", "Phone"],
  email: ["邮箱", "Email"],
  "tax id": ["税号", "Tax ID"],
  address: ["地址", "Address"],
  terms: ["账期（天）", "Payment terms (days)"],
  currency: ["币种", "Currency"],
  "price list": ["价目表", "Price list"],
  "credit limit": ["信用额度", "Credit limit"],
  credit: ["信用", "Credit"],
  receivables: ["未收应收款", "Open receivables"],
  "open orders": ["未结订单", "Open orders"],
  exposure: ["信用占用", "Exposure"],
  "available credit": ["可用额度", "Available credit"],
  "no limit": ["不限", "No limit"],
  quarantine: ["待检/隔离", "Quarantine"],
  "label size": ["标签尺寸", "Label size"],
  "usual size": ["默认尺寸", "Usual size"],
  "a4 sheet": ["A4 纸（3×8）", "A4 sheet (3×8)"],
  "print bin labels": ["打印货位标签", "Print bin labels"],
  "location tree": ["仓库 > 库区 > 货位", "Warehouse > zone > bin"],
  number: ["单号", "Number"],
  supplier: ["供应商", "Supplier"],
  customer: ["客户", "Customer"],
  expected: ["预计到货", "Expected"],
  created: ["创建时间", "Created"],
  at: ["时间", "Time"],
  "created by": ["创建人", "Created by"],
  note: ["备注", "Note"],
  total: ["合计", "Total"],
  subtotal: ["不含税金额", "Subtotal"],
  tax: ["税额", "Tax"],
  lines: ["明细", "Lines"],
  line: ["行", "Line"],
  qty: ["数量", "Quantity"],
  price: ["单价", "Unit price"],
  net: ["金额", "Net"],
  received: ["已收", "Received"],
  accepted: ["合格", "Accepted"],
  billed: ["已开票", "Billed"],
  picked: ["已拣", "Picked"],
  packed: ["已包装", "Packed"],
  shipped: ["已发货", "Shipped"],
  invoiced: ["已开票", "Invoiced"],
  returned: ["已退货", "Returned"],
  approvals: ["审批记录", "Approvals"],
  decision: ["审批结果", "Decision"],
  comment: ["意见", "Comment"],
  "approval roles": ["审批层级", "Approval levels"],
  versions: ["版本", "Versions"],
  "changes in": ["本版本的变化", "What this version changed"],
  "first version": ["第一版，没有之前的版本", "The first version: nothing before it"],
  field: ["字段", "Field"],
  before: ["原值", "Before"],
  after: ["新值", "After"],
  "ship to": ["收货地址", "Ship to"],
  "credit released by": ["超信用放行人", "Credit released by"],
  packages: ["包装", "Packages"],
  sscc: ["SSCC", "SSCC"],
  weight: ["重量（kg）", "Weight (kg)"],
  contents: ["内容", "Contents"],
  run: ["运行", "Run"],
  csv: ["导出 CSV", "CSV"],
  excel: ["导出 Excel", "Excel"],
  "unknown report": ["没有这个报表", "No such report"],
  generated: ["生成时间", "Generated"],
  rows: ["行", "rows"],
  "chart value by day": ["每日库存金额", "Stock value by day"],
  "chart top movers": ["出库最多的商品（出库数量）", "Top movers (quantity out)"],
  day: ["日期", "Day"],
  value: ["金额", "Value"],
  "qty out": ["出库数量", "Quantity out"],
  yes: ["是", "Yes"],
  no: ["否", "No"],
  "state draft": ["草稿", "Draft"],
  "state pending": ["待审批", "Pending approval"],
  "state approved": ["已审批", "Approved"],
  "state rejected": ["已驳回", "Rejected"],
  "state partially_received": ["部分收货", "Partially received"],
  "state received": ["已收货", "Received"],
  "state confirmed": ["已确认", "Confirmed"],
  "state picking": ["拣货中", "Picking"],
  "state packed": ["已包装", "Packed"],
  "state shipped": ["已发货", "Shipped"],
  "state invoiced": ["已开票", "Invoiced"],
  "state closed": ["已关闭", "Closed"],
  "state cancelled": ["已取消", "Cancelled"],
  "role admin": ["管理员", "Administrator"],
  "role purchaser": ["采购员", "Purchaser"],
  "role approver": ["审批人", "Approver"],
  "role director": ["总监", "Director"],
  "role warehouse": ["仓库员", "Warehouse staff"],
  "role sales": ["销售员", "Salesperson"],
  "role finance": ["财务", "Finance"],
  "role viewer": ["只读用户", "Viewer"],
  "decision approved": ["同意", "Approved"],
  "decision rejected": ["驳回", "Rejected"],
  "choice warehouse": ["仓库", "Warehouse"],
  "choice location": ["库位", "Location"],
  "choice lot": ["批次", "Lot"],
  "choice item": ["商品", "Item"],
  "choice customer": ["客户", "Customer"],
  "choice supplier": ["供应商", "Supplier"],
  "choice supplier_item": ["供应商 + 商品", "Supplier and item"],
  "choice partner": ["往来单位", "Partner"],
  "choice document": ["单据", "Document"],
};
addText({ office: ["后台", "Back office"], ...Object.fromEntries(Object.entries(TEXTS).map(([key, pair]) => [`office.${key}`, pair])) });

const t = (key) => text(`office.${key}`);
/** A text for a value the server names (a state, a choice), or the value itself when it is one this screen does not know. */
const known = (prefix, value) => (Object.hasOwn(TEXTS, `${prefix} ${value}`) ? t(`${prefix} ${value}`) : value);

const SECTIONS = { items, partners, locations, "purchase-orders": purchaseOrders, "sales-orders": salesOrders, reports };
const PO_STATES = ["draft", "pending", "approved", "rejected", "partially_received", "received", "closed", "cancelled"];
const SO_STATES = ["draft", "confirmed", "picking", "packed", "shipped", "invoiced", "closed", "cancelled"];
const ZONE = "Asia/Shanghai";  // times are shown in the company's zone, as the reports show them
const NUMERIC = new Set(["qty", "money", "cost", "int"]);
const ROWS_AT_ONCE = 500;

/** #/office/<section>/<arg>: the section's list, or one record of it. */
export async function office(current, section, ...rest) {
  working(null);
  const here = location.hash;
  const name = Object.hasOwn(SECTIONS, section || "") ? section : "items";
  const before = document.activeElement;
  const fromNav = before?.closest?.(".office-nav") ? before.dataset.nav : null;
  const fromContent = before?.closest?.("#app") && !fromNav;
  const panel = h("section", { class: "office-body", id: "office-body", "aria-busy": "true" }, h("p", { class: "muted" }, t("loading")));
  const nav = h("nav", { class: "office-nav", "aria-label": t("sections") },
    Object.keys(SECTIONS).map((key) => h("a", { href: `#/office/${key}`, "data-nav": key, "aria-current": key === name ? "page" : null }, t(key))),
    h("button", { type: "button", "data-nav": "language", lang: language() === "zh" ? "en" : "zh", onclick: switchLanguage }, text("language")));
  screen(`${text("office")} · ${t(name)}`, h("div", { class: "office" }, nav, panel));
  // Redrawing removed what had the focus: give it back where a keyboard user expects it.
  if (fromNav) nav.querySelector(`[data-nav="${fromNav}"]`)?.focus();
  else if (fromContent) focusHeading();
  await SECTIONS[name](here, panel, ...rest.filter((part) => part !== ""));
  panel.removeAttribute("aria-busy");
}

async function switchLanguage() {
  setLanguage(language() === "zh" ? "en" : "zh");
  await store.set("language", language());
  go(location.hash);
}

function focusHeading() {
  const heading = document.querySelector("#app h2");
  heading.tabIndex = -1;
  heading.focus();
}

// Small pieces -----------------------------------------------------------------------------------

const named = (row) => (language() === "zh" ? row.name_zh || row.name_en : row.name_en || row.name_zh) || "";
const enc = encodeURIComponent;
const num = (value) => ({ text: value ?? "—", num: true });
const link = (section, key, label = key) => h("a", { href: `#/office/${section}/${enc(key)}` }, label);
const back = (section) => h("p", {}, h("a", { href: `#/office/${section}`, class: "back" }, `← ${t("back")}`));
const localTime = new Intl.DateTimeFormat("sv-SE", { timeZone: ZONE, dateStyle: "short", timeStyle: "short" });
const when = (iso) => (iso ? localTime.format(new Date(iso)) : "");

function fail(error) {
  say("error", error.status === 0 ? text("offline") : error.message);
}

/** A cell: text, a node, or {text, num: true} (figures are the API's strings, right-aligned, never recomputed) or {text, wrap: true}. */
function cell(tag, value, attrs = {}) {
  const figure = value && typeof value === "object" && !(value instanceof Node);
  return h(tag, { ...attrs, class: figure ? (value.num ? "num" : value.wrap ? "wrap" : null) : null }, figure ? value.text : value ?? "");
}

const row = (attrs, values) => h("tr", attrs, values.map((value) => cell("td", value)));

function grid(columns, rows, attrs = {}) {
  return h("div", { class: "scroll" }, h("table", attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => cell("th", c, { scope: "col" })))), h("tbody", {}, rows)));
}

/** Label and value pairs of one record. */
function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([label, value, attrs = {}]) =>
    h("div", attrs, h("dt", {}, label), h("dd", {}, value === null || value === undefined || value === "" ? "—" : value))));
}

/** Replace what an element shows; parts may be nodes, text, lists of them, or null (left out). */
function put(element, ...parts) {
  element.replaceChildren(...parts.flat(Infinity).filter((part) => part !== null && part !== undefined && part !== false));
}

/** An API answer for the screen that asked, or null (its error is shown in `panel` and the notice; or the screen is gone). */
async function load(here, panel, request) {
  try {
    const answer = await request;
    return showing(here) ? answer : null;
  } catch (error) {
    if (showing(here)) {
      fail(error);
      put(panel, h("p", { class: "muted" }, error.status === 0 ? text("offline") : error.message));
    }
    return null;
  }
}

/** A control of a filter form: {name, label, type: "search"|"text"|"date"|"number", options: [[value, text]], ...attributes}. */
function control({ name, label, options, value, ...attrs }) {
  const input = options
    ? h("select", { name }, options.map(([v, shown]) => h("option", { value: v, selected: String(value ?? "") === String(v) }, shown)))
    : h("input", { name, type: "text", value: value ?? "", ...attrs });
  return h("label", {}, label, input);
}

const valuesOf = (form) => Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ""));

// Lists are remembered per section, so coming back from a record finds the list as it was left.
const kept = new Map();

/** A paged list: filters above, a table, a pager; `fetchPage(params)` answers one page ({items, total}). */
function pagedList(here, { key, filters = [], columns, fetchPage, draw, size = 50 }) {
  const state = kept.get(key) || { values: {}, offset: 0 };
  if (key) kept.set(key, state);
  const result = h("div", { class: "list-result", "aria-busy": "true" }, h("p", { class: "muted" }, t("loading")));
  const turn = (by) => () => {
    state.offset = Math.max(0, state.offset + by);
    show();
  };
  const previous = h("button", { type: "button", "data-page": "previous", onclick: turn(-size) }, t("previous"));
  const next = h("button", { type: "button", "data-page": "next", onclick: turn(size) }, t("next"));
  const range = h("span", { class: "muted", "data-field": "range" });
  const pager = h("nav", { class: "pager", "aria-label": t("pages") }, previous, range, next);
  let ticket = 0;
  const show = async () => {
    const mine = ++ticket;
    result.setAttribute("aria-busy", "true");
    let page;
    try {
      page = await fetchPage({ ...state.values, limit: size, offset: state.offset });
    } catch (error) {
      if (mine === ticket && showing(here)) {
        fail(error);
        result.removeAttribute("aria-busy");
      }
      return;
    }
    if (mine !== ticket || !showing(here)) return;  // a newer search, or another screen, came first
    result.removeAttribute("aria-busy");
    if (!page.items.length && state.offset > 0) {  // the list shrank since this page was left
      state.offset = 0;
      return show();
    }
    put(result, page.items.length ? grid(columns, page.items.map(draw)) : h("p", { class: "muted" }, t("nothing found")));
    // The pager's buttons stay the same elements, so a keyboard user paging on keeps the focus.
    const focused = document.activeElement;
    previous.disabled = state.offset === 0;
    next.disabled = state.offset + size >= page.total;
    range.textContent = page.total ? `${state.offset + 1}–${state.offset + page.items.length} / ${page.total}` : "0";
    for (const button of [previous, next]) button.hidden = page.total <= size;
    if (focused?.disabled) (focused === next ? previous : next).focus();
  };
  const form = filters.length ? h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    state.values = valuesOf(event.currentTarget);
    state.offset = 0;
    show();
  }, onchange: (event) => { if (event.target.tagName === "SELECT") event.currentTarget.requestSubmit(); } },
  filters.map((f) => control({ ...f, value: state.values[f.name] })),
  h("button", { type: "submit", class: "primary" }, t("find"))) : null;
  show();
  return h("div", {}, form, result, pager);
}

const stateOptions = (states) => [["", t("all")], ...states.map((s) => [s, known("state", s)])];

// Files: labels and exports need the bearer token, so they are fetched, then saved under the server's name ----------

async function download(path, options) {
  try {
    const file = await sync.fetchFile(path, options);
    saveFile(file);
    say("ok", `${t("downloaded")} ${file.name}`);
  } catch (error) {
    fail(error);
  }
}

// Items ------------------------------------------------------------------------------------------

async function items(here, panel, sku) {
  if (sku) return item(here, panel, sku);
  put(panel, pagedList(here, {
    key: "items",
    filters: [{ name: "search", label: t("search"), type: "search" },
      { name: "active", label: t("status"), options: [["", t("all")], ["true", t("active")], ["false", t("inactive")]] }],
    columns: [t("sku"), t("name"), t("unit"), t("tracking"), t("status")],
    fetchPage: (params) => sync.api("/api/v1/items", { params }),
    draw: (it) => row({ "data-sku": it.sku },
      [link("items", it.sku), named(it), it.unit, known("tracking", it.tracking), it.active ? t("active") : t("inactive")]),
  }));
}

async function item(here, panel, sku) {
  const found = await load(here, panel, sync.api(`/api/v1/items/${enc(sku)}`));
  if (!found) return;
  put(panel,
    back("items"),
    h("h3", {}, `${found.sku} · ${named(found)}`),
    h("p", {}, h("button", { type: "button", "data-action": "print-label", onclick: () => download(`/api/v1/labels/item/${enc(found.sku)}.pdf`) },
      t("print label"))),
    facts([[t("name zh"), found.name_zh, { lang: "zh-CN" }], [t("name en"), found.name_en, { lang: "en" }], [t("unit"), found.unit],
      [t("decimals"), found.unit_decimals], [t("tracking"), known("tracking", found.tracking)], [t("shelf life"), found.shelf_life_days],
      [t("reorder point"), found.reorder_point], [t("reorder qty"), found.reorder_qty], [t("vat"), found.vat_rate],
      [t("status"), found.active ? t("active") : t("inactive")], [t("version"), found.version]]),
    h("h4", {}, t("barcodes")),
    grid([t("barcode"), t("pack"), num(t("pack qty")), t("gtin")],
      found.barcodes.map((b) => row({ "data-barcode": b.code }, [b.code, b.pack, num(b.qty), b.gtin || ""])), { id: "item-barcodes" }),
    h("h4", {}, t("stock")),
    h("div", { id: "item-stock" }, pagedList(here, {
      columns: [t("warehouse"), t("location"), t("lot"), t("expiry"), num(t("on hand")), num(t("reserved")), num(t("available"))],
      fetchPage: (params) => sync.api("/api/v1/stock/balances", { params: { ...params, sku: found.sku } }),
      draw: (b) => row({ "data-location": b.location },
        [b.warehouse || "", b.location, b.lot || "", b.expiry || "", num(b.qty), num(b.reserved), num(b.available)]),
      size: 100,
    })));
}

// Partners ---------------------------------------------------------------------------------------

async function partners(here, panel, code) {
  if (code) return partner(here, panel, code);
  put(panel, pagedList(here, {
    key: "partners",
    filters: [{ name: "search", label: t("search"), type: "search" },
      { name: "kind", label: t("kind"), options: [["", t("all")], ["supplier", t("kind supplier")], ["customer", t("kind customer")]] }],
    columns: [t("code"), t("name"), t("kind"), t("contact"), t("phone"), num(t("terms")), num(t("credit limit")), t("currency")],
    fetchPage: (params) => sync.api("/api/v1/partners", { params }),
    draw: (p) => row({ "data-partner": p.code }, [link("partners", p.code), named(p), known("kind", p.kind), p.contact, p.phone,
      num(String(p.payment_terms_days)), num(p.credit_limit ?? ""), p.currency]),
  }));
}

async function partner(here, panel, code) {
  const found = await load(here, panel, sync.api(`/api/v1/partners/${enc(code)}`));
  if (!found) return;
  const credit = h("div", { id: "partner-credit" });
  put(panel,
    back("partners"),
    h("h3", {}, `${found.code} · ${named(found)}`),
    facts([[t("kind"), known("kind", found.kind)], [t("name zh"), found.name_zh, { lang: "zh-CN" }], [t("name en"), found.name_en, { lang: "en" }],
      [t("contact"), found.contact], [t("phone"), found.phone], [t("email"), found.email], [t("tax id"), found.tax_id], [t("address"), found.address],
      [t("terms"), found.payment_terms_days], [t("credit limit"), found.credit_limit ?? t("no limit")], [t("currency"), found.currency],
      [t("price list"), found.price_list], [t("status"), found.active ? t("active") : t("inactive")], [t("version"), found.version]]),
    credit,
    found.contacts.length ? [h("h4", {}, t("contacts")), grid([t("name"), t("role"), t("phone"), t("email")],
      found.contacts.map((c) => row({}, [c.name, c.role, c.phone, c.email])))] : null);
  if (found.kind === "supplier") return;
  const exposure = await load(here, credit, sync.api(`/api/v1/customers/${enc(found.code)}/credit`));
  if (!exposure) return;
  put(credit, h("h4", {}, t("credit")), grid(
    [num(t("credit limit")), num(t("receivables")), num(t("open orders")), num(t("exposure")), num(t("available credit"))],
    [row({ "data-field": "credit" }, [num(exposure.credit_limit ?? t("no limit")), num(exposure.open_receivables), num(exposure.open_orders),
      num(exposure.exposure), num(exposure.available_credit ?? t("no limit"))])]));
}

// Locations: warehouse > zone > bin, each level fetched when opened --------------------------------

async function locations(here, panel) {
  const size = h("select", { name: "size" }, [["", t("usual size")], ["50x30", "50 × 30 mm"], ["100x150", "100 × 150 mm"], ["a4-3x8", t("a4 sheet")]]
    .map(([value, shown]) => h("option", { value }, shown)));
  const printBins = (code) => download("/api/v1/labels/print",
    { method: "POST", body: { kind: "location", under: code, ...(size.value ? { size: size.value } : {}) } });

  const node = (place) => {
    const children = h("ul", { class: "tree", hidden: true });
    let loaded = false;
    const opener = place.kind === "bin" || place.kind === "virtual" ? h("strong", { class: "leaf" }, place.code)
      : h("button", { type: "button", class: "opener", "aria-expanded": "false", onclick: async (event) => {
        const button = event.currentTarget;
        const open = button.getAttribute("aria-expanded") !== "true";
        button.setAttribute("aria-expanded", String(open));
        children.hidden = !open;
        if (open && !loaded) {
          loaded = true;
          await level(children, { parent: place.code });
        }
      } }, place.code);
    return h("li", { "data-location": place.code, "data-kind": place.kind },
      h("div", { class: "node" }, opener, h("span", {}, named(place)), h("span", { class: "muted" }, known("kind", place.kind)),
        place.quarantine ? h("span", { class: "pending" }, t("quarantine")) : null,
        place.kind === "warehouse" || place.kind === "zone"
          ? h("button", { type: "button", "data-action": "print-bins", "aria-label": `${t("print bin labels")} ${place.code}`,
            onclick: () => printBins(place.code) }, t("print bin labels")) : null),
      children);
  };

  /** One level of the tree into `list`, a hundred at a time. */
  const level = async (list, params, offset = 0) => {
    let page;
    list.setAttribute("aria-busy", "true");
    try {
      page = await sync.api("/api/v1/locations", { params: { ...params, limit: 100, offset } });
    } catch (error) {
      if (showing(here)) fail(error);
      return;
    } finally {
      list.removeAttribute("aria-busy");
    }
    if (!showing(here)) return;
    const more = list.querySelector(":scope > li.more");
    const hadFocus = more?.contains(document.activeElement);
    more?.remove();
    const added = page.items.map(node);
    list.append(...added);
    if (hadFocus) added[0]?.querySelector("button")?.focus();  // the focus goes on to what the button brought
    if (!page.items.length && !offset) list.append(h("li", { class: "muted" }, t("nothing found")));
    if (offset + page.items.length < page.total) {
      list.append(h("li", { class: "more" }, h("button", { type: "button", onclick: () => level(list, params, offset + 100) }, t("more"))));
    }
  };

  const tree = h("ul", { class: "tree", id: "location-tree", "aria-label": t("location tree") });
  const form = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const search = new FormData(event.currentTarget).get("search").trim();
    put(tree);
    level(tree, search ? { search } : { kind: "warehouse" });
  } }, control({ name: "search", label: t("search"), type: "search" }), h("button", { type: "submit", class: "primary" }, t("find")));
  put(panel, form, h("p", { class: "filters" }, h("label", {}, t("label size"), size)), h("p", { class: "muted" }, t("location tree")), tree);
  await level(tree, { kind: "warehouse" });
}

// Purchase and sales orders -----------------------------------------------------------------------

const totals = (doc) => h("table", { class: "totals" }, h("tbody", {},
  [["subtotal", doc.subtotal], ["tax", doc.tax], ["total", doc.total]].map(([key, value]) =>
    h("tr", { "data-field": key }, h("th", { scope: "row" }, t(key)), cell("td", num(value && `${value} ${doc.currency || ""}`.trim()))))));

async function purchaseOrders(here, panel, number) {
  if (number) return purchaseOrder(here, panel, number);
  put(panel, pagedList(here, {
    key: "purchase-orders",
    filters: [{ name: "status", label: t("status"), options: stateOptions(PO_STATES) },
      { name: "supplier", label: t("supplier"), placeholder: t("code") }, { name: "warehouse", label: t("warehouse"), placeholder: t("code") }],
    columns: [t("number"), t("status"), t("supplier"), t("warehouse"), t("expected"), num(t("total")), t("currency"), t("created")],
    fetchPage: (params) => sync.api("/api/v1/purchase-orders", { params }),
    draw: (po) => row({ "data-po": po.number }, [link("purchase-orders", po.number), known("state", po.status), po.supplier, po.warehouse,
      po.expected_date || "", num(po.total), po.currency, when(po.created_at)]),
  }));
}

async function purchaseOrder(here, panel, number) {
  const po = await load(here, panel, sync.api(`/api/v1/purchase-orders/${enc(number)}`));
  if (!po) return;
  const changes = h("div", { id: "po-changes" });
  const showVersion = async (version) => {
    for (const button of panel.querySelectorAll("[data-version]")) button.setAttribute("aria-pressed", String(button.dataset.version === String(version)));
    const answer = await load(here, changes, sync.api(`/api/v1/purchase-orders/${enc(number)}/versions/${version}`));
    if (!answer) return;
    put(changes, h("h5", {}, `v${version} · ${t("changes in")}`), version === 1 ? h("p", { class: "muted" }, t("first version"))
      : grid([t("line"), t("field"), t("before"), t("after")], answer.changes_since_previous.map((c) => row({ "data-change": c.field },
        [c.line ?? "", c.field, { text: JSON.stringify(c.before), wrap: true }, { text: JSON.stringify(c.after), wrap: true }]))));
  };
  put(panel,
    back("purchase-orders"),
    h("h3", {}, `${po.number} · ${po.supplier}`),
    facts([[t("status"), known("state", po.status), { "data-field": "status" }], [t("supplier"), link("partners", po.supplier)],
      [t("warehouse"), po.warehouse], [t("currency"), po.currency], [t("expected"), po.expected_date], [t("note"), po.note],
      [t("version"), po.version], [t("approval roles"), po.approval_roles.map((r) => known("role", r)).join(" → ")],
      [t("created by"), po.created_by], [t("created"), when(po.created_at)]]),
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), t("name"), num(t("qty")), num(t("price")), num(t("vat")), num(t("net")), num(t("received")), num(t("accepted")),
      num(t("billed"))],
    po.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line }, [num(String(l.line)), link("items", l.sku), named(l), num(l.qty), num(l.unit_price),
      num(l.vat_rate), num(l.net), num(l.received), num(l.accepted), num(l.billed)])), { id: "po-lines" }),
    totals(po),
    po.approvals.length ? [h("h4", {}, t("approvals")), grid([t("role"), t("decision"), t("comment"), t("version"), t("at")],
      po.approvals.map((a) => row({ class: a.void ? "void" : null }, [`${a.level} · ${known("role", a.role)} · ${a.user}`, known("decision", a.decision), a.comment,
        `v${a.version}`, when(a.at)])))] : null,
    h("h4", {}, t("versions")),
    h("p", { class: "versions" }, Array.from({ length: po.version }, (_, i) => i + 1).map((v) =>
      h("button", { type: "button", "data-version": v, "aria-pressed": "false", onclick: () => showVersion(v) }, `v${v}`))),
    changes);
}

async function salesOrders(here, panel, number) {
  if (number) return salesOrder(here, panel, number);
  put(panel, pagedList(here, {
    key: "sales-orders",
    filters: [{ name: "status", label: t("status"), options: stateOptions(SO_STATES) }, { name: "customer", label: t("customer"), placeholder: t("code") }],
    columns: [t("number"), t("status"), t("customer"), t("warehouse"), num(t("total")), t("created")],
    fetchPage: (params) => sync.api("/api/v1/sales-orders", { params }),
    draw: (so) => row({ "data-so": so.number }, [link("sales-orders", so.number), known("state", so.status), so.customer, so.warehouse, num(so.total),
      when(so.created_at)]),
  }));
}

async function salesOrder(here, panel, number) {
  const so = await load(here, panel, sync.api(`/api/v1/sales-orders/${enc(number)}`));
  if (!so) return;
  put(panel,
    back("sales-orders"),
    h("h3", {}, `${so.number} · ${so.customer}`),
    facts([[t("status"), known("state", so.status), { "data-field": "status" }], [t("customer"), link("partners", so.customer)],
      [t("warehouse"), so.warehouse], [t("ship to"), so.ship_to], [t("note"), so.note], [t("version"), so.version], [t("created"), when(so.created_at)],
      so.credit_released_by ? [t("credit released by"), `${so.credit_released_by}: ${so.credit_release_reason}`] : null]),
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), t("name"), num(t("qty")), num(t("price")), num(t("net")), num(t("reserved")), num(t("picked")), num(t("shipped")),
      num(t("invoiced")), num(t("returned"))],
    so.lines.map((l) => row({ "data-sku": l.sku, "data-line": l.line }, [num(String(l.line)), link("items", l.sku), named(l), num(l.qty), num(l.unit_price),
      num(l.net), num(l.reserved), num(l.picked), num(l.shipped), num(l.invoiced), num(l.returned)])), { id: "so-lines" }),
    totals(so),
    so.packages.length ? [h("h4", {}, t("packages")), grid([t("sscc"), num(t("weight")), t("contents")],
      so.packages.map((p) => row({ "data-sscc": p.sscc }, [p.sscc, num(p.weight_kg ?? ""),
        p.contents.map((c) => `${c.sku ?? ""} × ${c.qty ?? ""}`).join(", ")])))] : null);
}

// Reports ----------------------------------------------------------------------------------------

async function reports(here, panel, name) {
  const list = await load(here, panel, sync.api("/api/v1/reports"));
  if (!list) return;
  const title = (r) => (language() === "zh" ? r.title_zh : r.title_en);
  if (!name) {
    return put(panel, h("ul", { class: "list", id: "report-list" }, list.items.map((r) =>
      h("li", { "data-report": r.name }, link("reports", r.name, title(r)), h("span", { class: "muted" }, r.name)))));
  }
  const info = list.items.find((r) => r.name === name);
  if (!info) {
    say("error", `${t("unknown report")}: ${name}`);
    return put(panel, back("reports"));
  }
  const state = kept.get(`report:${name}`) || { values: {} };
  kept.set(`report:${name}`, state);
  const output = h("div", { id: "report-output" });
  const inputFor = (p) => {
    const value = state.values[p.name] ?? p.default ?? "";
    const label = language() === "zh" ? p.title_zh : p.title_en;
    if (p.type === "choice") {
      return control({ name: p.name, label, value, options: [...(p.required ? [] : [["", "—"]]), ...p.choices.map((c) => [c, known("choice", c)])] });
    }
    if (p.type === "bool") return control({ name: p.name, label, value, options: [["", "—"], ["true", t("yes")], ["false", t("no")]] });
    const type = { int: "number", date: "date", datetime: "datetime-local" }[p.type] || "text";
    return control({ name: p.name, label, value, type, required: p.required, min: p.minimum, max: p.maximum,
      inputmode: p.type === "decimal" ? "decimal" : null });
  };
  const form = h("form", { class: "filters report-form", "data-report": name, onsubmit: (event) => { event.preventDefault(); run(); } },
    info.params.map(inputFor),
    h("span", { class: "actions" },
      h("button", { type: "submit", class: "primary", "data-action": "run" }, t("run")),
      h("button", { type: "button", "data-action": "csv", onclick: () => exportAs("csv") }, t("csv")),
      h("button", { type: "button", "data-action": "xlsx", onclick: () => exportAs("xlsx") }, t("excel"))));
  const asked = () => {
    state.values = valuesOf(form);
    return form.reportValidity() ? state.values : null;
  };
  const exportAs = (format) => {
    const params = asked();
    if (params) download(info.path, { params: { ...params, format, lang: language() } });
  };
  let ticket = 0;
  const run = async () => {
    const params = asked();
    if (!params) return;
    const mine = ++ticket;
    put(output, h("p", { class: "muted" }, t("loading")));
    output.setAttribute("aria-busy", "true");
    const result = await load(here, output, sync.api(info.path, { params: { ...params, format: "json" } }));
    if (mine !== ticket) return;
    output.removeAttribute("aria-busy");
    if (result) put(output, ...reportOutput(result, output));
  };
  put(panel, back("reports"), h("h3", {}, title(info)), form, output);
  if (info.params.every((p) => !p.required || state.values[p.name] || p.default !== null)) await run();
}

function reportOutput(result, container) {
  const columns = result.columns;
  const zone = result.params.tz || ZONE;
  const stamp = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, dateStyle: "short", timeStyle: "medium" });
  const shown = (column, value) => {
    if (value === null || value === undefined) return NUMERIC.has(column.type) ? num("") : "";
    if (column.type === "datetime") return stamp.format(new Date(value));
    return NUMERIC.has(column.type) ? num(String(value)) : String(value);
  };
  const heading = (c) => (language() === "zh" ? c.title_zh : c.title_en);
  const chart = Object.hasOwn(CHARTS, result.report) && CHARTS[result.report](result, Math.min(960, Math.max(300, container.clientWidth || 720)));
  const foot = Object.keys(result.totals).length ? h("tfoot", {}, h("tr", { "data-field": "totals" }, columns.map((c, i) =>
    cell(i === 0 && !(c.key in result.totals) ? "th" : "td", c.key in result.totals ? num(String(result.totals[c.key])) : i === 0 ? t("total") : "",
      { "data-key": c.key })))) : null;
  const body = h("tbody");
  // A big report is drawn a few hundred rows at a time; the totals and the exports always cover all of it.
  const more = h("button", { type: "button", "data-action": "more-rows", onclick: () => drawRows() }, t("more"));
  const drawRows = () => {
    const start = body.rows.length;
    body.append(...result.rows.slice(start, start + ROWS_AT_ONCE).map((r, i) => h("tr", { "data-row": start + i },
      columns.map((c) => cell("td", shown(c, r[c.key]), { "data-key": c.key })))));
    more.hidden = body.rows.length >= result.rows.length;
  };
  drawRows();
  const tableOf = h("table", { id: "report-table", "data-report": result.report },
    h("thead", {}, h("tr", {}, columns.map((c) => cell("th", NUMERIC.has(c.type) ? num(heading(c)) : heading(c), { scope: "col", "data-key": c.key })))),
    body, foot);
  return [chart || null, h("p", { class: "muted" }, `${result.rows.length} ${t("rows")} · ${t("generated")} ${stamp.format(new Date(result.generated_at))}`),
    h("div", { class: "scroll" }, tableOf), h("p", {}, more)];
}

// Charts: hand-drawn SVG, sized to the screen so their text stays at reading size -----------------

const CHARTS = { stock_value: valueByDay, top_movers: topMovers };
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) element.setAttribute(key, value);
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function figure(id, caption, width, height, ...content) {
  return h("figure", { class: "chart", id },
    svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-caption` }, content),
    h("figcaption", { id: `${id}-caption` }, caption));
}

/** A line of the stock's value, one point a day (days still to come have none). Positions need numbers; every label
 *  shows the API's own string. */
function valueByDay(result, width) {
  const rows = result.rows;
  const height = 300;
  const [left, right, top, bottom] = [104, 24, 20, 56];
  const dated = rows.map((r, i) => ({ r, i, v: Number(r.value) })).filter((p) => p.r.value !== null && p.r.value !== undefined);
  const high = Math.max(0, ...dated.map((p) => p.v));
  const low = Math.min(0, ...dated.map((p) => p.v));
  const x = (i) => left + (rows.length > 1 ? (i * (width - left - right)) / (rows.length - 1) : (width - left - right) / 2);
  const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low || 1);
  const labelOf = (v) => (v === 0 ? "0" : dated.find((p) => p.v === v).r.value);
  // First, middle and last day under the axis (no middle one on a phone, where the dates would overlap).
  const ticks = [...new Set([0, ...(width >= 480 ? [Math.floor((rows.length - 1) / 2)] : []), rows.length - 1])].filter((i) => i >= 0);
  const radius = Math.max(3, Math.min(5, (width - left - right) / Math.max(1, rows.length) / 2.5));
  const anchor = (i) => (rows.length < 2 ? "middle" : i === 0 ? "start" : i === rows.length - 1 ? "end" : "middle");
  const middle = (top + height - bottom) / 2;
  return figure("chart-stock-value", t("chart value by day"), width, height,
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
    svg("line", { class: "axis", x1: left, y1: y(0), x2: width - right, y2: y(0) }),
    svg("text", { class: "tick", x: left - 8, y: y(high) + 5, "text-anchor": "end" }, labelOf(high)),
    low < 0 || high === 0 ? null : svg("text", { class: "tick", x: left - 8, y: y(0) + 5, "text-anchor": "end" }, "0"),
    low < 0 ? svg("text", { class: "tick", x: left - 8, y: y(low) + 5, "text-anchor": "end" }, labelOf(low)) : null,
    ticks.map((i) => svg("text", { class: "tick", x: x(i), y: height - bottom + 22, "text-anchor": anchor(i) }, rows[i].day)),
    svg("text", { class: "axis-title", x: (left + width - right) / 2, y: height - 8, "text-anchor": "middle" }, t("day")),
    svg("text", { class: "axis-title", x: 16, y: middle, "text-anchor": "middle", transform: `rotate(-90 16 ${middle})` }, t("value")),
    dated.length > 1 ? svg("polyline", { class: "line", points: dated.map((p) => `${x(p.i)},${y(p.v)}`).join(" ") }) : null,
    dated.map(({ r, i, v }) => svg("circle",
      { class: "point", cx: x(i), cy: y(v), r: radius, "data-day": r.day, "data-value": r.value, "data-qty": r.qty ?? "" },
      svg("title", {}, `${r.day}: ${t("value")} ${r.value} · ${t("qty")} ${r.qty ?? ""}`))));
}

/** Bars of the quantity that went out, one per item, longest first as the report orders them. */
function topMovers(result, width) {
  const rows = result.rows;
  const [left, right, top, band] = [120, 96, 12, 34];
  const height = top + rows.length * band + 48;
  const values = rows.map((r) => Number(r.qty_out || 0));
  const most = Math.max(0, ...values) || 1;
  const length = (v) => (Math.max(0, v) * (width - left - right)) / most;
  return figure("chart-top-movers", t("chart top movers"), width, height,
    svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + rows.length * band }),
    rows.map((r, i) => {
      const middle = top + i * band + band / 2;
      return svg("g", { class: "bar-row" },
        svg("text", { class: "tick", x: left - 8, y: middle + 5, "text-anchor": "end" }, r.sku),
        svg("rect",
          { class: "bar", x: left, y: middle - band / 2 + 5, width: length(values[i]), height: band - 10, "data-sku": r.sku, "data-value": r.qty_out ?? "" },
          svg("title", {}, `${r.sku} ${r.name ?? named(r)}: ${t("qty out")} ${r.qty_out ?? ""}`)),
        svg("text", { class: "tick", x: left + length(values[i]) + 6, y: middle + 5 }, r.qty_out ?? ""));
    }),
    svg("text", { class: "axis-title", x: (left + width - right) / 2, y: height - 12, "text-anchor": "middle" }, t("qty out")));
}
