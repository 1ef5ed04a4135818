// The back office on wide screens: the menu of sections (each drawn by its module under desk/) and the reports with charts.

import * as sync from "./sync.js";
import { addText, language, t as text } from "./i18n.js";
import { h, say, screen, working, money, scroller } from "./ui.js";
import { amount, back, cell, control, deskTexts, download, known, link, load, named, num, put, setCurrent, t, valuesOf, kept, zone as companyZone } from "./desk.js";
import * as masterData from "./desk/masterdata.js";
import * as purchasing from "./desk/purchasing.js";
import * as sales from "./desk/sales.js";
import * as stock from "./desk/stock.js";
import * as finance from "./desk/finance.js";

const TEXTS = {
  items: ["商品", "Items"],
  partners: ["往来单位", "Partners"],
  locations: ["库位", "Locations"],
  "purchase-orders": ["采购订单", "Purchase orders"],
  "sales-orders": ["销售订单", "Sales orders"],
  reports: ["报表", "Reports"],
  sections: ["后台栏目", "Back office sections"],
  "group master": ["基础资料", "Master data"],
  "group purchasing": ["采购", "Purchasing"],
  "group sales": ["销售", "Sales"],
  "group stock": ["库存", "Stock"],
  "group finance": ["财务", "Finance"],
  "group reports": ["报表", "Reports"],
  "group admin": ["系统管理", "Administration"],
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
  history: ["历史记录", "History"],
  "no history": ["没有记录", "Nothing recorded yet"],
  when: ["时间", "When"],
  who: ["操作人", "Who"],
  what: ["操作", "What"],
  details: ["内容", "Details"],
  "export xlsx": ["导出 Excel", "Save as Excel"],
  "export csv": ["导出 CSV", "Save as CSV"],
  "export too large": ["超过 {n} 行，请缩小筛选范围后再导出", "More than {n} rows: narrow the filters to save the list"],
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
  "pack each": ["单件", "each"],
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
  "backorder of": ["欠货来源订单", "Backorder of"],
  backorders: ["欠货单", "Backorders"],
  backordered: ["转欠货", "Backordered"],
  cancelled: ["已取消", "Cancelled"],
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
  users: ["用户", "Users"],
  username: ["用户名", "Username"],
  roles: ["角色", "Roles"],
  "sign in": ["登录", "Sign-in"],
  "not locked": ["正常", "Not locked"],
  "locked until": ["锁定至", "Locked until"],
  "locked accounts": ["因登录失败过多被锁定的账号", "Accounts locked after too many failed sign-ins"],
  "no locked accounts": ["没有被锁定的账号", "No account is locked"],
  unlock: ["解锁", "Unlock"],
  unlocked: ["已解锁", "Unlocked"],
  printers: ["标签打印机", "Printers"],
  "printer list": ["各仓库的标签打印机", "Label printers of each warehouse"],
  "no printers": ["还没有标签打印机", "No label printer yet"],
  "printer address": ["地址", "Address"],
  host: ["主机（IP 地址或主机名）", "Host (IP address or name)"],
  port: ["端口", "Port"],
  font: ["中文字体", "Chinese font"],
  dpi: ["分辨率（dpi）", "Resolution (dpi)"],
  actions: ["操作", "Actions"],
  "add printer": ["添加标签打印机", "Add a label printer"],
  "edit printer": ["修改标签打印机", "Change label printer"],
  edit: ["修改", "Edit"],
  save: ["保存", "Save"],
  cancel: ["取消", "Cancel"],
  saved: ["已保存", "Saved"],
  "test print": ["打印测试标签", "Test print"],
  "test printing": ["正在打印测试标签…", "Printing a test label…"],
  "test printed": ["测试标签已发送到", "Test label sent to"],
};
addText({ office: ["后台", "Back office"] });
deskTexts(TEXTS);

// Every section of the back office, from the modules that draw them: {key: {draw(here, panel, ...path), group, may()}}. The
// menu shows those the signed-in user may use, in this order (the server refuses the others anyway).
const SECTIONS = {
  ...masterData.sections,
  ...purchasing.sections,
  ...sales.sections,
  ...stock.sections,
  ...finance.sections,
  reports: { draw: reports, group: "reports" },
};
const title = (key) => (SECTIONS[key].label ? SECTIONS[key].label() : t(key));
const sectionsOf = () => Object.keys(SECTIONS).filter((key) => !SECTIONS[key].may || SECTIONS[key].may());
// The menu in groups, each a disclosure: the current section's group is open, and so stay those the user opened.
const GROUPS = ["master", "purchasing", "sales", "stock", "finance", "reports", "admin"];
const opened = new Set();
const NUMERIC = new Set(["qty", "money", "cost", "int"]);
const MONEY = new Set(["money", "cost"]);  // report columns that are amounts: shown as money, the others as they come
const ROWS_AT_ONCE = 500;

/** #/office/<section>/<arg>: the section's list, or one record of it. */
export async function office(current, section, ...rest) {
  working(null);
  setCurrent(current);
  const here = location.hash;
  const name = sectionsOf().includes(section) ? section : sectionsOf()[0];
  const before = document.activeElement;
  const inNav = before?.closest?.(".office-nav");
  const fromNav = inNav ? before.dataset.nav || null : null;
  const fromGroup = inNav && !fromNav ? before.closest("details")?.dataset.group : null;
  const fromContent = before?.closest?.("#app") && !inNav;
  const panel = h("section", { class: "office-body", id: "office-body", "aria-busy": "true" }, h("p", { class: "muted" }, t("loading")));
  const visible = sectionsOf();
  const nav = h("nav", { class: "office-nav", "aria-label": t("sections") }, GROUPS.map((group) => {
    const keys = visible.filter((key) => SECTIONS[key].group === group);
    if (!keys.length) return null;
    const details = h("details", { class: "nav-group", "data-group": group, open: group === SECTIONS[name].group || opened.has(group) },
      h("summary", {}, t(`group ${group}`)),
      keys.map((key) => h("a", { href: `#/office/${key}`, "data-nav": key, "aria-current": key === name ? "page" : null }, title(key))));
    // Kept open when the user opens it (the current section's group is open anyway, and drawing it open is no choice).
    details.addEventListener("toggle", () => {
      if (group !== SECTIONS[name].group) (details.open ? opened.add(group) : opened.delete(group));
    });
    return details;
  }));
  screen(`${text("office")} · ${title(name)}`, h("div", { class: "office" }, nav, panel));
  // Redrawing removed what had the focus: give it back where a keyboard user expects it.
  if (fromNav) nav.querySelector(`[data-nav="${fromNav}"]`)?.focus();
  else if (fromGroup) nav.querySelector(`[data-group="${fromGroup}"] summary`)?.focus();
  else if (fromContent) focusHeading();
  await SECTIONS[name].draw(here, panel, ...rest.filter((part) => part !== ""));
  panel.removeAttribute("aria-busy");
}

function focusHeading() {
  const heading = document.querySelector("#app h2");
  heading.tabIndex = -1;
  heading.focus();
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
  const zone = result.params.tz || companyZone();
  const stamp = new Intl.DateTimeFormat("sv-SE", { timeZone: zone, dateStyle: "short", timeStyle: "medium" });
  const shown = (column, value) => {
    if (value === null || value === undefined) return NUMERIC.has(column.type) ? num("") : "";
    if (column.type === "datetime") return stamp.format(new Date(value));
    if (MONEY.has(column.type)) return amount(String(value));
    return NUMERIC.has(column.type) ? num(String(value)) : String(value);
  };
  const heading = (c) => (language() === "zh" ? c.title_zh : c.title_en);
  const chart = Object.hasOwn(CHARTS, result.report) && CHARTS[result.report](result, Math.min(960, Math.max(300, container.clientWidth || 720)));
  const foot = Object.keys(result.totals).length ? h("tfoot", {}, h("tr", { "data-field": "totals" }, columns.map((c, i) =>
    cell(i === 0 && !(c.key in result.totals) ? "th" : "td", c.key in result.totals ? (MONEY.has(c.type) ? amount : num)(String(result.totals[c.key])) : i === 0 ? t("total") : "",
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
    scroller(tableOf), h("p", {}, more)];
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
  const labelOf = (v) => (v === 0 ? "0" : money(dated.find((p) => p.v === v).r.value));
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
      svg("title", {}, `${r.day}: ${t("value")} ${money(r.value)} · ${t("qty")} ${r.qty ?? ""}`))));
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
