// Purchasing › Purchase plan at the desk: make a plan for a warehouse from the sales forecast, review each line (forecast,
// stock, orders, safety stock, lead time, proposal), open a line to see its item's history and forecast drawn, change the
// quantities and suppliers, leave lines out, and convert the plan into requisitions (/api/v1/purchase-plans, /api/v1/forecasts).

import * as sync from "../sync.js";
import { h, say, showing, go } from "../ui.js";
import {
  back, deskTexts, enc, facts, fail, grid, link, load, may, named, num, pagedList, put, recordForm, row, when, history, askText,
} from "../desk.js";

const { t, known, stateOptions } = deskTexts({
  "purchase-plan": ["采购计划", "Purchase plan"],
  "new plan": ["生成采购计划", "Make a purchase plan"],
  "make plan": ["生成计划", "Make the plan"],
  "making plan": ["正在按销售预测计算…", "Working out the forecasts…"],
  period: ["预测周期", "Period"],
  "period week": ["按周", "Weekly"],
  "period month": ["按月", "Monthly"],
  horizon: ["到货后覆盖期数", "Periods to cover after arrival"],
  "horizon hint": ["周计划默认 4 周，月计划默认 1 个月", "4 weeks for a weekly plan, 1 month for a monthly one by default"],
  "service level": ["服务水平 %", "Service level %"],
  "service level hint": ["不缺货的概率，默认 95", "The chance of not running out; 95 by default"],
  "skus optional": ["只计划这些商品（可选）", "Only these items (optional)"],
  "skus hint": ["SKU，用逗号或空格分隔", "SKUs, separated by commas or spaces"],
  "as of": ["计算日期", "Computed for"],
  "created by": ["创建人", "Created by"],
  "converted at": ["转请购单时间", "Converted"],
  "lines to buy": ["待采购行数", "Lines to buy"],
  requisitions: ["请购单", "Requisitions"],
  "state draft": ["草稿", "Draft"],
  "state converted": ["已转请购单", "Converted into requisitions"],
  "state discarded": ["已作废", "Discarded"],
  buy: ["采购", "Buy"],
  "buy line": ["采购此行", "Buy this line"],
  method: ["预测方法", "Forecast method"],
  "method holt_winters": ["Holt-Winters（季节性）", "Holt-Winters (seasonal)"],
  "method holt": ["Holt（趋势）", "Holt (trend)"],
  "method smoothing": ["指数平滑", "Exponential smoothing"],
  "method average": ["平均值", "Average"],
  "method none": ["无销售记录", "No sales"],
  "reason short_history": ["历史较短", "short history"],
  "reason sparse_history": ["销售零星", "sparse sales"],
  "reason fit_failed": ["模型拟合失败", "no model fitted"],
  forecast: ["预测需求", "Forecast"],
  "open demand": ["未发销售订单", "Open orders"],
  held: ["其中已预留", "Of them held"],
  available: ["可用量", "Available"],
  "on order": ["在途", "On order"],
  safety: ["安全库存", "Safety stock"],
  "lead time": ["提前期（天）", "Lead time (days)"],
  "lead item": ["商品设定", "set on the item"],
  "lead history": ["按以往订单", "from past orders"],
  "lead default": ["默认值", "the default"],
  need: ["缺口", "Need"],
  pack: ["整包", "Pack"],
  proposed: ["建议数量", "Proposed"],
  moq: ["最小起订量", "Minimum order qty"],
  "raised to moq": ["已提至起订量", "raised to the minimum order"],
  "raised to moq hint": ["缺口低于最小起订量 {moq}，建议数量已提至起订量", "The need is below the minimum order quantity {moq}: the proposal was raised to it"],
  "qty to buy": ["采购数量", "Qty to buy"],
  supplier: ["供应商", "Supplier"],
  requisition: ["请购单", "Requisition"],
  item: ["商品", "Item"],
  "forecast error": ["预测误差（每期）", "Forecast error (a period)"],
  accuracy: ["回测误差", "Accuracy on held-back periods"],
  "history periods": ["历史期数", "Periods of history"],
  details: ["详情", "Details"],
  "details of": ["详情", "Details of"],
  "save changes": ["保存修改", "Save changes"],
  convert: ["转为请购单", "Convert into requisitions"],
  discard: ["作废计划", "Discard the plan"],
  "discard why": ["作废原因", "Why it is discarded"],
  converted: ["已转为请购单", "Converted into requisitions"],
  discarded: ["计划已作废", "The plan was discarded"],
  "only to buy": ["只显示待采购的行", "Only lines to buy"],
  "no lines": ["这个仓库没有可计划的商品（没有销售、未发订单或再订货规则）。", "Nothing to plan in this warehouse: no sales, open orders or reorder rules."],
  "formula": ["缺口 = max(预测, 未发订单) − 已预留 + 安全库存 − 可用量 − 在途；有缺口时建议数量不低于最小起订量，再按整包（或单位）向上取整。",
    "Need = max(forecast, open orders) − held + safety stock − available − on order; when there is a need, the proposal is at least the minimum order quantity, then rounded up to whole packs (or the unit)."],
  "safety formula": ["安全库存 = z(服务水平) × 预测误差 × √(覆盖天数 ÷ 每期天数)。", "Safety stock = z(service level) × forecast error × √(days covered ÷ days a period)."],
  "chart history": ["历史销量与预测", "Sales history and forecast"],
  "legend history": ["实线：每期净销量（发货减退货）", "Solid: net sales per period (shipped less returned)"],
  "legend forecast": ["虚线和圆点：预测", "Dashed, with dots: the forecast"],
  "no forecast": ["没有销售记录，无法预测。", "No sales: nothing to forecast."],
  mae: ["平均绝对误差", "MAE"],
  mape: ["平均绝对百分比误差", "MAPE"],
}, "planning");
// The requisitions a plan makes say where they came from.
deskTexts({ "source plan": ["采购计划", "Purchase plan"] }, "purchasing");

const STATES = ["draft", "converted", "discarded"];

const methodText = (method, reason) => `${known("method", method)}${reason && method !== "none" ? ` (${known("reason", reason)})` : ""}`;
const cell = (field, text, attrs = {}) => h("td", { class: "num", "data-field": field, ...attrs }, text ?? "—");
/** An input of a line, as wide as its figure needs (the stylesheet would stretch it to its cell). */
const sized = (input, width) => {
  input.style.width = width;
  input.style.minWidth = width;
  return input;
};

/** The proposal, with a mark when the need was below the item's minimum order quantity and the proposal was raised to it. */
const proposedCell = (line) => {
  const hints = [line.pack_qty ? `${t("pack")} ${line.pack_qty}` : null, line.raised_to_moq ? t("raised to moq hint").replace("{moq}", line.min_order_qty) : null];
  return h("td", { class: "num", "data-field": "proposed", title: hints.filter(Boolean).join(" · ") || null }, line.proposed_qty,
    line.raised_to_moq ? h("small", { class: "muted", "data-field": "moq-raised" }, h("br"), t("raised to moq")) : null);
};

async function plans(here, panel, number) {
  if (number) return plan(here, panel, number);
  const form = may("purchase.write") ? recordForm({
    id: "plan-form",
    title: t("new plan"),
    label: t("make plan"),
    fields: [
      { name: "warehouse", label: t("warehouse"), required: true, placeholder: t("code"), maxlength: 64 },
      { name: "period", label: t("period"), value: "week", options: [["week", t("period week")], ["month", t("period month")]] },
      { name: "horizon", label: t("horizon"), type: "number", min: 1, max: 52, hint: t("horizon hint") },
      { name: "service_level", label: t("service level"), inputmode: "decimal", hint: t("service level hint"), size: 6 },
      { name: "skus", label: t("skus optional"), hint: t("skus hint") },
    ],
    submit: (values) => {
      const body = { warehouse: values.warehouse || "", period: values.period || "week" };
      if (values.horizon) body.horizon = Number(values.horizon);
      if (values.service_level) body.service_level = values.service_level;
      if (values.skus) body.skus = values.skus.split(/[\s,，]+/).filter(Boolean);
      say("ok", t("making plan"));
      return sync.api("/api/v1/purchase-plans", { method: "POST", body });
    },
    saved: (made) => {
      say("ok", `${made.number} · ${t("saved")}`);
      go(`#/office/purchase-plan/${enc(made.number)}`);
    },
  }) : null;
  put(panel,
    form,
    pagedList(here, {
      key: "purchase-plan",
      filters: [{ name: "status", label: t("status"), options: stateOptions(STATES) }, { name: "warehouse", label: t("warehouse"), placeholder: t("code") }],
      columns: [t("number"), t("status"), t("warehouse"), t("period"), t("as of"), num(t("lines to buy")), t("requisitions"), t("created by"), t("created")],
      fetchPage: (params) => sync.api("/api/v1/purchase-plans", { params }),
      draw: (p) => row({ "data-plan": p.number }, [link("purchase-plan", p.number), known("state", p.status), p.warehouse, known("period", p.period), p.as_of,
        num(String(p.lines_to_buy)), p.requisitions.length ? h("span", {}, p.requisitions.flatMap((r, i) => [i ? ", " : "", link("requisitions", r)])) : "",
        p.created_by || "", when(p.created_at)]),
    }));
}

async function plan(here, panel, number) {
  const found = await load(here, panel, sync.api(`/api/v1/purchase-plans/${enc(number)}`));
  if (!found) return;
  const editable = found.actions.includes("edit");
  let onlyToBuy = editable && found.lines.some((l) => l.selected);
  const detail = h("section", { id: "plan-detail", "aria-live": "polite" });
  const body = h("tbody", {});
  const rows = new Map();

  const again = async () => {
    await plan(here, panel, number);
    panel.querySelector("h3")?.focus();
  };
  // What the purchaser changed on the screen, as the PATCH's lines.
  const changes = () => found.lines.flatMap((line) => {
    const tr = rows.get(line.line);
    if (!tr) return [];
    const change = {};
    const qty = tr.querySelector("input[name=qty]").value.trim();
    const supplier = tr.querySelector("input[name=supplier]").value.trim();
    const selected = tr.querySelector("input[name=selected]").checked;
    if (qty !== line.qty) change.qty = qty;
    if (supplier !== (line.supplier || "")) change.supplier = supplier || null;
    if (selected !== line.selected) change.selected = selected;
    return Object.keys(change).length ? [{ line: line.line, ...change }] : [];
  });
  const save = async () => {
    const lines = changes();
    if (!lines.length) return found;
    return sync.api(`/api/v1/purchase-plans/${enc(number)}`, { method: "PATCH", body: { version: found.version, lines } });
  };
  const act = (work, done) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      button.disabled = false;
      return fail(error);
    }
    say("ok", done);
    await again();
  };
  const saveButton = h("button", { type: "button", "data-action": "save", onclick: act(save, t("saved")) }, t("save changes"));
  const convertButton = h("button", { type: "button", class: "primary", "data-action": "convert", onclick: act(async () => {
    const saved = await save();  // what was typed and not saved yet goes with it
    await sync.api(`/api/v1/purchase-plans/${enc(number)}/convert`, { method: "POST", body: { version: saved.version } });
  }, t("converted")) }, t("convert"));
  const discardButton = h("button", { type: "button", "data-action": "discard", onclick: async (event) => {
    const reason = await askText(t("discard"), t("discard why"), { required: false });
    if (reason === null) return;
    await act(() => sync.api(`/api/v1/purchase-plans/${enc(number)}/discard`, { method: "POST", body: { version: found.version, reason } }),
      t("discarded"))(event);
  } }, t("discard"));

  const drawRow = (line) => {
    const lead = h("td", { class: "num", "data-field": "lead-time", title: known("lead", line.lead_time_source) }, String(line.lead_time_days));
    const tr = h("tr", { "data-sku": line.sku, "data-line": line.line, class: line.selected ? null : "muted" },
      editable
        ? h("td", {}, sized(h("input", { type: "checkbox", name: "selected", checked: line.selected, "aria-label": `${t("buy line")} ${line.sku}`,
          onchange: (event) => tr.classList.toggle("muted", !event.currentTarget.checked) }), "1.5rem"))
        : h("td", { "data-field": "selected" }, t(line.selected ? "yes" : "no")),
      h("td", { class: "wrap" }, link("items", line.sku), h("small", { class: "muted" }, ` ${named(line)}`), h("br"),
        h("small", { class: "muted", "data-field": "method" }, methodText(line.method, line.method_reason)), " ",
        h("button", { type: "button", "data-action": "details", "aria-label": `${t("details of")} ${line.sku}`, "aria-expanded": "false",
          onclick: (event) => openLine(line, event.currentTarget) }, t("details"))),
      cell("forecast", line.forecast), cell("open-demand", line.open_demand), cell("available", line.available), cell("on-order", line.on_order),
      cell("safety", line.safety_stock), lead, proposedCell(line),
      editable
        ? h("td", {}, sized(h("input", { name: "qty", value: line.qty, inputmode: "decimal", "aria-label": `${t("qty to buy")} ${line.sku}` }), "5rem"))
        : cell("qty", line.qty),
      editable
        ? h("td", {}, sized(h("input", { name: "supplier", value: line.supplier || "", placeholder: t("code"), "aria-label": `${t("supplier")} ${line.sku}` }),
          "5rem"))
        : h("td", { "data-field": "supplier" }, line.supplier ? link("partners", line.supplier) : "—"),
      found.requisitions.length ? h("td", { "data-field": "requisition" }, line.requisition ? link("requisitions", line.requisition) : "") : null);
    rows.set(line.line, tr);
    return tr;
  };
  const drawLines = () => {
    rows.clear();
    put(body, found.lines.filter((l) => !onlyToBuy || l.selected || l.requisition).map(drawRow));
  };
  const openLine = async (line, button) => {
    for (const other of panel.querySelectorAll("[data-action=details][aria-expanded=true]")) other.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-expanded", "true");
    const chart = h("div", { id: "plan-chart" }, h("p", { class: "muted" }, t("loading")));
    put(detail,
      h("h4", {}, `${line.sku} · ${named(line)}`),
      facts([[t("method"), methodText(line.method, line.method_reason)], [t("history periods"), line.history_periods],
        [t("forecast error"), line.error],
        [t("accuracy"), line.mae === null ? null : `${t("mae")} ${line.mae}${line.mape === null ? "" : ` · ${t("mape")} ${line.mape}%`}`],
        [t("forecast"), line.forecast], [t("open demand"), line.open_demand], [t("held"), line.held], [t("available"), line.available],
        [t("on order"), line.on_order], [t("safety"), line.safety_stock], [t("lead time"), `${line.lead_time_days} · ${known("lead", line.lead_time_source)}`],
        [t("need"), line.need], [t("moq"), line.min_order_qty, { "data-field": "moq" }], [t("pack"), line.pack_qty],
        [t("proposed"), line.raised_to_moq ? `${line.proposed_qty} · ${t("raised to moq")}` : line.proposed_qty]]),
      h("p", { class: "muted" }, t("formula")), h("p", { class: "muted" }, t("safety formula")),
      chart);
    let answer;
    try {
      answer = await sync.api("/api/v1/forecasts", { params: { sku: line.sku, warehouse: found.warehouse, period: found.period } });
    } catch (error) {
      return put(chart, h("p", { class: "muted" }, String(error.message || error)));
    }
    if (!showing(here) || !detail.contains(chart)) return;
    put(chart, forecastChart(answer, Math.min(900, Math.max(320, panel.clientWidth - 16))));
  };

  const toggle = editable ? h("label", { class: "check" }, h("input", { type: "checkbox", name: "only_to_buy", checked: onlyToBuy, onchange: (event) => {
    onlyToBuy = event.currentTarget.checked;
    drawLines();
  } }), t("only to buy")) : null;
  drawLines();
  put(panel,
    back("purchase-plan"),
    h("h3", { tabindex: "-1" }, `${found.number} · ${found.warehouse}`),
    facts([[t("status"), known("state", found.status), { "data-field": "status" }], [t("warehouse"), found.warehouse],
      [t("period"), known("period", found.period)], [t("horizon"), found.horizon], [t("service level"), found.service_level],
      [t("as of"), found.as_of], [t("lines to buy"), found.lines_to_buy, { "data-field": "lines-to-buy" }], [t("note"), found.note],
      [t("created by"), found.created_by], [t("created"), when(found.created_at)],
      found.converted_at ? [t("converted at"), when(found.converted_at)] : null, [t("version"), found.version, { "data-field": "version" }]]),
    found.requisitions.length ? h("p", { id: "plan-requisitions" }, `${t("requisitions")}: `,
      found.requisitions.flatMap((r, i) => [i ? ", " : "", link("requisitions", r)])) : null,
    editable ? h("div", { class: "actions", "data-field": "actions" }, convertButton, saveButton, discardButton) : null,
    toggle,
    found.lines.length
      ? grid([t("buy"), t("item"), num(t("forecast")), num(t("open demand")), num(t("available")), num(t("on order")), num(t("safety")), num(t("lead time")),
        num(t("proposed")), num(t("qty to buy")), t("supplier"), found.requisitions.length ? t("requisition") : null].filter(Boolean), [],
      { id: "plan-lines" })
      : h("p", { class: "muted" }, t("no lines")),
    detail,
    history("purchase_plan", found.number));
  panel.querySelector("#plan-lines tbody")?.replaceWith(body);
}

// The chart: a period's net sales as a solid line, the forecast dashed with a dot a period ------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) element.setAttribute(key, value);
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An item's history and forecast (GET /api/v1/forecasts) drawn in SVG; positions need numbers, every label is the API's text. */
export function forecastChart(answer, width) {
  const points = [...answer.history.map((p) => ({ ...p, kind: "history" })), ...answer.forecast.map((p) => ({ ...p, kind: "forecast" }))];
  if (!answer.forecast.length) return h("p", { class: "muted", "data-field": "no-forecast" }, t("no forecast"));
  const height = 260;
  const [left, right, top, bottom] = [64, 16, 16, 48];
  const values = points.map((p) => Number(p.qty));
  const high = Math.max(0, ...values) || 1;
  const low = Math.min(0, ...values);
  const x = (i) => left + (points.length > 1 ? (i * (width - left - right)) / (points.length - 1) : (width - left - right) / 2);
  const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low || 1);
  const line = (kind, from, to) => points.slice(from, to).map((p, i) => `${x(from + i)},${y(Number(p.qty))}`).join(" ");
  const split = answer.history.length;
  const highest = points[values.indexOf(Math.max(...values))];
  const id = "chart-forecast";
  return h("figure", { class: "chart", id, "data-sku": answer.sku, "data-method": answer.method },
    svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-caption` },
      svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: height - bottom }),
      svg("line", { class: "axis", x1: left, y1: y(0), x2: width - right, y2: y(0) }),
      svg("text", { class: "tick", x: left - 8, y: y(Number(highest.qty)) + 5, "text-anchor": "end" }, highest.qty),
      svg("text", { class: "tick", x: left - 8, y: y(0) + 5, "text-anchor": "end" }, "0"),
      [0, split, points.length - 1].filter((i, n, all) => i < points.length && all.indexOf(i) === n).map((i) =>
        svg("text", { class: "tick", x: x(i), y: height - bottom + 22, "text-anchor": i === 0 ? "start" : i === points.length - 1 ? "end" : "middle" },
          points[i].start)),
      split > 1 ? svg("polyline", { class: "line history", points: line("history", 0, split) }) : null,
      split ? svg("line", { class: "axis", x1: x(split - 0.5), y1: top, x2: x(split - 0.5), y2: height - bottom, "stroke-dasharray": "2 4" }) : null,
      svg("polyline", { class: "line forecast", "stroke-dasharray": "6 5", points: line("forecast", Math.max(0, split - 1), points.length) }),
      points.map((p, i) => (p.kind === "forecast" ? svg("circle", { class: "point forecast", cx: x(i), cy: y(Number(p.qty)), r: 4, "data-start": p.start,
        "data-qty": p.qty }, svg("title", {}, `${p.start}: ${t("forecast")} ${p.qty}`)) : svg("circle", { class: "history-point", cx: x(i), cy: y(Number(p.qty)),
        r: 2, "data-start": p.start, "data-qty": p.qty }, svg("title", {}, `${p.start}: ${p.qty}`))))),
    h("figcaption", { id: `${id}-caption` }, `${t("chart history")} · ${answer.sku} · ${methodText(answer.method, answer.method_reason)}`),
    h("p", { class: "muted" }, `${t("legend history")}; ${t("legend forecast")}`));
}

/** Purchasing › Purchase plan: for those who may read plans (buyers and those who approve what they buy). */
export const sections = {
  "purchase-plan": { draw: plans, group: "purchasing", may: () => may("purchase.plan"), label: () => t("purchase-plan") },
};
