// The back office's reports: the server's list of them, a form for each one's parameters, its table (with a chart for
// some) and its download as CSV or Excel.

import * as sync from "../sync.js";
import { language } from "../i18n.js";
import { h, say, money, scroller } from "../ui.js";
import { amount, back, cell, control, deskTexts, download, kept, link, load, named, num, put, valuesOf, zone as companyZone } from "../desk.js";
import { scorecardChart } from "./supplier_scores.js";

const { t, known } = deskTexts({
  reports: ["报表", "Reports"],
  run: ["运行", "Run"],
  csv: ["导出 CSV", "CSV"],
  excel: ["导出 Excel", "Excel"],
  "unknown report": ["没有这个报表", "No such report"],
  generated: ["生成时间", "Generated"],
  rows: ["行", "rows"],
  "chart value by day": ["每日库存金额", "Stock value by day"],
  "chart top movers": ["出库最多的商品（出库数量）", "Top movers (quantity out)"],
  day: ["日期", "Day"],
  "qty out": ["出库数量", "Quantity out"],
  "choice warehouse": ["仓库", "Warehouse"],
  "choice location": ["库位", "Location"],
  "choice lot": ["批次", "Lot"],
  "choice item": ["商品", "Item"],
  "choice customer": ["客户", "Customer"],
  "choice supplier": ["供应商", "Supplier"],
  "choice supplier_item": ["供应商 + 商品", "Supplier and item"],
  "choice partner": ["往来单位", "Partner"],
  "choice document": ["单据", "Document"],
  "choice category": ["商品分类", "Item category"],
  "any category": ["全部分类", "Every category"],
  "choice none": ["不比较", "No comparison"],
  "choice previous_month": ["上月", "Previous month"],
  "choice same_month_last_year": ["上年同月", "Same month last year"],
  // The lines of a financial statement and the kinds of account they group.
  "line account": ["科目", "Account"],
  "line profit": ["利润", "Profit"],
  "line subtotal": ["小计", "Subtotal"],
  "line total": ["总计", "Total"],
  "kind asset": ["资产", "Asset"],
  "kind liability": ["负债", "Liability"],
  "kind equity": ["所有者权益", "Equity"],
  "kind income": ["收入", "Income"],
  "kind expense": ["费用", "Expense"],
}, "reports");

const NUMERIC = new Set(["qty", "money", "cost", "int"]);
const MONEY = new Set(["money", "cost"]);  // report columns that are amounts: shown as money, the others as they come
const ROWS_AT_ONCE = 500;
const WORDS = new Set(["line", "kind"]);  // text columns whose values are codes with a name in each language
const SUMMING = new Set(["subtotal", "total"]);  // a statement's lines that add up the ones above: shown in bold

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
  // An item category is chosen from the list of them (typed, should the list not come).
  const categories = info.params.some((p) => p.name === "category")
    ? await sync.api("/api/v1/categories", { params: { limit: 500 } }).catch(() => null) : null;
  const inputFor = (p) => {
    const value = state.values[p.name] ?? p.default ?? "";
    const label = language() === "zh" ? p.title_zh : p.title_en;
    if (p.name === "category" && categories) {
      return control({ name: p.name, label, value, options: [["", t("any category")],
        ...categories.items.map((c) => [c.code, `${c.code} · ${named(c) || c.code}`])] });
    }
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
    if (NUMERIC.has(column.type)) return num(String(value));
    return column.type === "text" && WORDS.has(column.key) ? known(column.key, String(value)) : String(value);
  };
  const bold = (value) => (value && typeof value === "object" ? { ...value, text: h("strong", {}, value.text) } : h("strong", {}, value));
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
    body.append(...result.rows.slice(start, start + ROWS_AT_ONCE).map((r, i) => {
      const summing = typeof r.line === "string" && SUMMING.has(r.line);
      return h("tr", { "data-row": start + i, "data-line": summing ? r.line : null },
        columns.map((c) => cell("td", summing ? bold(shown(c, r[c.key])) : shown(c, r[c.key]), { "data-key": c.key })));
    }));
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

const CHARTS = { stock_value: valueByDay, top_movers: topMovers, supplier_scorecard: scorecardChart };
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

/** The reports section of the back office. */
export const sections = {
  reports: { draw: reports, group: "reports", label: () => t("reports") },
};
