// Stock in the back office: stocktakes (start, review the variances, ask a recount, post), the moves ledger with
// reversals, reservations, and the trace of a lot or a serial number (where it came from and where it went).

import * as sync from "../sync.js";
import { h, say, showing, go } from "../ui.js";
import {
  amount, askText, back, deskTexts, documentActions, enc, facts, fail, formField, grid, kept, link, load, may, named, num, pagedList, put,
  recordForm, row, when, history, by, control, valuesOf,
} from "../desk.js";
import { approvalTrail, restartsApproval } from "./approvals.js";

const { t, known } = deskTexts({
  transfers: ["调拨单", "Transfers"],
  "new transfer": ["新建调拨单", "New transfer"],
  "create transfer": ["创建调拨单", "Create the transfer"],
  "from warehouse": ["调出仓库", "From warehouse"],
  "to warehouse": ["调入仓库", "To warehouse"],
  "needed by": ["需求日期", "Needed by"],
  "asked": ["申请数量", "Asked for"],
  shipped: ["已发出", "Shipped"],
  received: ["已收到", "Received"],
  short: ["差异", "Short"],
  "difference note": ["差异说明", "Why short"],
  "ship transfer": ["调拨出库", "Ship the transfer"],
  "receive transfer": ["调拨入库", "Receive the transfer"],
  "ship from": ["发货库位", "Ship from"],
  "receive into": ["入库库位", "Receive into"],
  "qty shipped": ["发出数量", "Qty shipped"],
  "qty received": ["实收数量", "Qty received"],
  "why short": ["少收原因", "Why less arrived"],
  "add transfer line": ["添加一行", "Add a line"],
  "remove transfer line": ["删除行", "Remove line"],
  "edit transfer": ["修改调拨单", "Change the transfer"],
  "approved edit": ["已审批后修改行：已给出的审批作废，按审批规则重新审批。",
    "Changing the lines once approved voids the approvals given: it is approved afresh, as the rules say."],
  "approved by": ["审批人", "Approved by"],
  "state draft": ["草稿", "Draft"],
  "state pending": ["待审批", "Pending approval"],
  "state approved": ["已审批", "Approved"],
  "state rejected": ["已驳回", "Rejected"],
  "state shipped": ["在途", "In transit"],
  "state received": ["已收货", "Received"],
  "state cancelled": ["已取消", "Cancelled"],
  stocktakes: ["盘点", "Stocktakes"],
  moves: ["库存流水", "Stock moves"],
  reservations: ["库存预留", "Reservations"],
  "new stocktake": ["新建盘点", "New stocktake"],
  "start stocktake": ["开始盘点", "Start the stocktake"],
  "count zones": ["盘点的库区", "Zones to count"],
  "count bins": ["其他库位（编码，用逗号或空格分隔）", "Other locations (codes, separated by commas or spaces)"],
  "count skus": ["只盘这些商品（SKU，用逗号或空格分隔）", "Only these items (SKUs, separated by commas or spaces)"],
  "count scope hint": ["不选库区、库位和商品，则盘点整个仓库。", "With no zone, location or item chosen, the whole warehouse is counted."],
  "no zones": ["该仓库没有库区", "This warehouse has no zones"],
  scope: ["盘点范围", "Scope"],
  "whole warehouse": ["整个仓库", "The whole warehouse"],
  progress: ["进度", "Progress"],
  "lines total": ["行数", "Lines"],
  "lines open": ["未盘", "Not counted"],
  "lines counted": ["已盘", "Counted"],
  "lines recount": ["待复盘", "To recount"],
  "lines with variance": ["有差异的行", "Lines with a variance"],
  "gain value": ["盘盈金额", "Gain value"],
  "loss value": ["盘亏金额", "Loss value"],
  "blind count": ["盲盘：账面数在过账前不显示", "Blind count: the book is hidden until it is posted"],
  started: ["开始时间", "Started"],
  "posted at": ["过账时间", "Posted"],
  "posted by": ["过账人", "Posted by"],
  "line status": ["行状态", "Line status"],
  "variance only": ["只看有差异的行", "Only lines with a variance"],
  "line state open": ["未盘", "Not counted"],
  "line state counted": ["已盘", "Counted"],
  "line state recount": ["待复盘", "To recount"],
  "book qty": ["账面数", "Book"],
  "counted qty": ["实盘数", "Counted"],
  "moved qty": ["盘点中移动", "Moved since"],
  "expected qty": ["应有数", "Expected"],
  variance: ["差异", "Variance"],
  "counted by": ["盘点人", "Counted by"],
  move: ["移动", "Move"],
  choose: ["选择", "Choose"],
  "choose line": ["选择第", "Choose line"],
  "not on book": ["账外发现", "found, not on the book"],
  "zero uncounted": ["未盘的行按 0 过账", "Post lines nobody counted as 0"],
  "choose lines first": ["请先勾选要复盘的行（已盘的行）", "Tick the counted lines to recount first"],
  "recount asked": ["已要求复盘的行数：", "Lines sent back for a recount:"],
  "comment optional": ["意见（可不填）：", "Comment (optional):"],
  "state counting": ["盘点中", "Counting"],
  "state posted": ["已过账", "Posted"],
  "lines shown": ["显示", "Showing"],
  item: ["商品", "Item"],
  "date from": ["起始日期", "From"],
  "date to": ["截止日期", "To"],
  reference: ["单据", "Document"],
  "reference hint": ["单据号", "Document number"],
  from: ["从", "From"],
  to: ["到", "To"],
  reason: ["原因", "Reason"],
  user: ["操作人", "User"],
  reversal: ["冲销", "Reversal"],
  reverses: ["冲销了移动", "Reverses move"],
  "reversed by": ["已被移动冲销", "Reversed by move"],
  "move no": ["移动", "Move"],
  "unit cost": ["单位成本", "Unit cost"],
  serials: ["序列号", "Serial numbers"],
  device: ["设备", "Device"],
  "reverse move": ["冲销移动", "Reverse move"],
  "reversal reason": ["冲销原因：", "Why is it reversed:"],
  "moves of": ["相关移动", "Its moves"],
  order: ["订单", "Order"],
  "reservation no": ["预留号", "Reservation"],
  "show closed": ["包括已关闭的", "Include closed ones"],
  open: ["未关闭", "Open"],
  "reservation open": ["有效", "Open"],
  "reservation closed": ["已关闭", "Closed"],
  release: ["释放", "Release"],
  "release reservation": ["释放预留", "Release reservation"],
  released: ["已释放预留", "Reservation released"],
  trace: ["追溯", "Trace"],
  "trace what": ["批次或序列号追溯", "Trace a lot or a serial number"],
  "trace hint": ["填写 SKU 和批次号，或填写序列号（多个商品有相同序列号时再填 SKU）。",
    "Enter a SKU and a lot, or a serial number (with its SKU when several items share that serial number)."],
  "trace need": ["请填写 SKU 和批次号，或填写序列号", "Enter a SKU and a lot, or a serial number"],
  serial: ["序列号", "Serial number"],
  "came from": ["来源", "From"],
  "went to": ["去向", "To"],
  "where now": ["现存位置", "Where it is now"],
  "every move": ["全部移动（按时间）", "Every move, in time order"],
  "qty in": ["累计入库", "Came in"],
  "qty out": ["累计出库", "Went out"],
  "produced on": ["生产日期", "Produced on"],
  "in stock": ["在库", "In stock"],
  partner: ["往来单位", "Partner"],
  direction: ["方向", "Direction"],
  "nothing yet": ["没有记录", "Nothing recorded"],
  "not in stock": ["不在库", "Nothing in stock"],
  "direction in": ["入库", "In"],
  "direction out": ["出库", "Out"],
  "direction within": ["库内", "Within"],
  "direction through": ["直发", "Straight through"],
  "flow receipt": ["采购收货", "Receipt"],
  "flow opening": ["期初库存", "Opening stock"],
  "flow return": ["客户退货", "Customer return"],
  "flow count": ["盘点", "Stocktake"],
  "flow adjustment": ["库存调整", "Adjustment"],
  "flow supplier": ["供应商（无单据）", "Supplier, no document"],
  "flow customer": ["客户（无单据）", "Customer, no document"],
  "flow shipment": ["销售发货", "Shipment"],
  "flow purchase_return": ["退回供应商", "Returned to supplier"],
  "flow scrap": ["报废", "Scrapped"],
  "flow transit": ["在途", "In transit"],
  "flow other": ["其他", "Other"],
}, "stock");

const COUNT_STATES = ["counting", "posted", "cancelled"];
const LINE_STATES = ["open", "counted", "recount"];
const codes = (text) => (text || "").split(/[\s,，]+/).filter(Boolean);
const stateOptions = (states, prefix = "state") => [["", t("all")], ...states.map((s) => [s, known(prefix, s)])];

/** A document a move or reservation belongs to, as a link to its page where the desk has one. */
function reference(type, number) {
  if (!number) return "";
  const section = DOCUMENT_SECTIONS[type];
  return section ? link(section, number) : `${type ?? ""} ${number}`.trim();
}

const DOCUMENT_SECTIONS = {
  so: "sales-orders", stocktake: "stocktakes", po: "purchase-orders", bill: "bills", invoice: "invoices", receipt: "receipts", return: "returns",
  purchase_return: "purchase-returns",
};

// Stocktakes -------------------------------------------------------------------------------------

async function stocktakes(here, panel, number) {
  if (number === "new") return newStocktake(here, panel);
  if (number) return stocktake(here, panel, number);
  put(panel,
    may("stock.move") ? h("p", {}, h("a", { href: "#/office/stocktakes/new", class: "button primary", "data-action": "new-stocktake" }, t("new stocktake")))
      : null,
    pagedList(here, {
      key: "stocktakes",
      filters: [{ name: "warehouse", label: t("warehouse"), placeholder: t("code") }, { name: "status", label: t("status"), options: stateOptions(COUNT_STATES) }],
      columns: [by("number", t("number")), by("status", t("status")), by("warehouse", t("warehouse")), t("scope"), num(t("lines total")), num(t("lines open")),
        num(t("lines counted")), num(t("lines recount")), by("started_at", t("started")), t("created by")],
      fetchPage: (params) => sync.api("/api/v1/counts", { params }),
      draw: (c) => row({ "data-count": c.number }, [link("stocktakes", c.number), known("state", c.status), c.warehouse, scopeOf(c),
        num(String(c.lines_total)), num(String(c.lines_open)), num(String(c.lines_counted)), num(String(c.lines_recount)), when(c.started_at),
        c.created_by || ""]),
    }));
}

const scopeOf = (c) => [...c.locations, ...c.skus].join(", ") || t("whole warehouse");

async function newStocktake(here, panel) {
  const warehouses = await load(here, panel, sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }));
  if (!warehouses) return;
  const zones = h("fieldset", { class: "zones", "data-field": "zones" });
  // The zones of the chosen warehouse: choosing the one already shown keeps its ticks, and an
  // answer for a warehouse no longer chosen is dropped (it would wipe the ticks of the current one).
  let zonesOf = null;
  const showZones = async (warehouse) => {
    if (warehouse === zonesOf) return;
    zonesOf = warehouse;
    put(zones, h("legend", {}, t("count zones")), h("p", { class: "muted" }, t("loading")));
    let page;
    try {
      page = await sync.api("/api/v1/locations", { params: { warehouse, kind: "zone", limit: 100 } });
    } catch (error) {
      if (zonesOf === warehouse) zonesOf = null;
      if (showing(here)) fail(error);
      return;
    }
    if (!showing(here) || zonesOf !== warehouse) return;
    put(zones, h("legend", {}, t("count zones")), page.items.length
      ? page.items.map((z) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "zone", value: z.code }), `${z.code} · ${named(z)}`))
      : h("p", { class: "muted" }, t("no zones")));
  };
  const first = warehouses.items[0]?.code || "";
  const form = recordForm({
    id: "stocktake-form",
    title: t("new stocktake"),
    label: t("start stocktake"),
    fields: [
      formField({ name: "warehouse", label: t("warehouse"), options: warehouses.items.map((w) => [w.code, `${w.code} · ${named(w)}`]), value: first,
        onchange: (event) => showZones(event.currentTarget.value) }),
      zones,
      formField({ name: "locations", label: t("count bins") }),
      formField({ name: "skus", label: t("count skus") }),
      formField({ name: "note", label: t("note") }),
      h("p", { class: "muted" }, t("count scope hint")),
    ],
    submit: (values, element) => {
      const chosen = [...element.querySelectorAll("input[name=zone]:checked")].map((box) => box.value);
      return sync.api("/api/v1/counts", { method: "POST", body: {
        warehouse: values.warehouse, locations: [...chosen, ...codes(values.locations)], skus: codes(values.skus), note: values.note || "",
      } });
    },
    saved: (count) => {
      say("ok", `${t("saved")}: ${count.number}`);
      location.hash = `#/office/stocktakes/${enc(count.number)}`;
    },
    cancel: () => { location.hash = "#/office/stocktakes"; },
  });
  put(panel, back("stocktakes"), form);
  form.querySelector("select[name=warehouse]").focus();
  if (first) await showZones(first);
}

const LINES_AT_ONCE = 200;

async function stocktake(here, panel, number) {
  const view = { status: "", variance_only: false, offset: 0 };
  const path = `/api/v1/counts/${enc(number)}`;
  const draw = async () => {
    const count = await load(here, panel, sync.api(path, { params: { limit: LINES_AT_ONCE, offset: view.offset,
      ...(view.status ? { status: view.status } : {}), ...(view.variance_only ? { variance_only: true } : {}) } }));
    if (!count) return;
    const recounting = count.actions.includes("recount");
    const zero = count.actions.includes("post") && count.lines_open > 0
      ? h("label", { class: "check" }, h("input", { type: "checkbox", name: "zero_uncounted" }), t("zero uncounted")) : null;
    const chosenLines = () => [...panel.querySelectorAll("#count-lines input[name=line]:checked")].map((box) => Number(box.value));
    const after = async () => {
      await draw();
      panel.querySelector("[data-field=actions] button, h3")?.focus();
    };
    const actions = documentActions(count, {
      path,
      ask: { cancel: "reason" },
      done: after,
      run: {
        recount: async () => {
          const lines = chosenLines();
          if (!lines.length) {
            say("error", t("choose lines first"));
            return panel.querySelector("#count-lines input[name=line]")?.focus();
          }
          const comment = await askText(t("action recount"), t("comment optional"), { required: false });
          if (comment === null) return;
          try {
            await sync.api(`${path}/recount`, { method: "POST", body: { lines, comment } });
          } catch (error) {
            return fail(error);
          }
          say("ok", `${t("recount asked")} ${lines.length}`);
          await after();
        },
        post: async () => {
          try {
            await sync.api(`${path}/post`, { method: "POST", body: { version: count.version, zero_uncounted: Boolean(zero?.querySelector("input").checked) } });
          } catch (error) {
            return fail(error);
          }
          say("ok", `${t("action post")} · ${t("done")}`);
          await after();
        },
      },
    });
    const filter = h("form", { class: "filters", role: "search", "aria-label": t("lines"), onsubmit: (event) => {
      event.preventDefault();
      const data = new FormData(event.currentTarget);
      Object.assign(view, { status: data.get("status") || "", variance_only: data.get("variance_only") === "on", offset: 0 });
      draw();
    } },
    h("label", {}, t("line status"), h("select", { name: "status" }, stateOptions(LINE_STATES, "line state").map(([v, shown]) =>
      h("option", { value: v, selected: v === view.status }, shown)))),
    count.blind ? null : h("label", { class: "check" }, h("input", { type: "checkbox", name: "variance_only", checked: view.variance_only }), t("variance only")),
    h("button", { type: "submit", class: "primary" }, t("find")));
    const turn = (by) => () => { view.offset = Math.max(0, view.offset + by); draw(); };
    put(panel,
      back("stocktakes"),
      h("h3", { tabindex: "-1" }, `${count.number} · ${count.warehouse}`),
      facts([[t("status"), known("state", count.status), { "data-field": "status" }], [t("warehouse"), count.warehouse],
        [t("scope"), scopeOf(count)], [t("note"), count.note], [t("started"), when(count.started_at)], [t("created by"), count.created_by],
        count.posted_at ? [t("posted at"), when(count.posted_at)] : null, count.posted_by ? [t("posted by"), count.posted_by] : null,
        [t("version"), count.version],
        [t("progress"), h("span", {}, h("progress", { max: count.lines_total || 1, value: count.lines_counted, "aria-label": t("progress") }),
          ` ${count.lines_counted} / ${count.lines_total}`), { "data-field": "progress" }],
        [t("lines open"), String(count.lines_open), { "data-field": "lines-open" }],
        [t("lines counted"), String(count.lines_counted), { "data-field": "lines-counted" }],
        [t("lines recount"), String(count.lines_recount), { "data-field": "lines-recount" }],
        count.lines_with_variance === null ? null : [t("lines with variance"), String(count.lines_with_variance), { "data-field": "lines-with-variance" }],
        count.gain_value === null ? null : [t("gain value"), amount(count.gain_value).text, { "data-field": "gain-value" }],
        count.loss_value === null ? null : [t("loss value"), amount(count.loss_value).text, { "data-field": "loss-value" }]]),
      count.blind ? h("p", { class: "muted" }, t("blind count")) : null,
      zero ? h("p", {}, zero) : null,
      actions,
      count.status === "posted" ? h("p", {}, h("a", { href: "#/office/moves", "data-action": "count-moves", onclick: (event) => {
        event.preventDefault();
        showMovesOf("stocktake", count.number);
      } }, t("moves of"))) : null,
      h("h4", {}, t("lines")),
      filter,
      grid([recounting ? t("choose") : null, num(t("line")), t("location"), t("sku"), t("name"), t("lot"), t("status"), num(t("book qty")),
        num(t("counted qty")), num(t("moved qty")), num(t("expected qty")), num(t("variance")), num(t("value")), t("counted by"), t("move")].filter((c) => c !== null),
      count.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku, "data-location": l.location, "data-status": l.status }, [
        recounting ? (l.status === "open" ? "" : h("input", { type: "checkbox", name: "line", value: l.line, "aria-label": `${t("choose line")} ${l.line}` })) : null,
        num(String(l.line)), l.location, link("items", l.sku), named(l) + (l.on_book ? "" : ` (${t("not on book")})`), l.lot || "",
        known("line state", l.status), num(l.book_qty), num(l.counted_qty), num(l.moved_qty), num(l.expected_qty), num(l.variance), amount(l.value),
        l.counted_by || "", l.move ? link("moves", String(l.move)) : ""].filter((v) => v !== null))), { id: "count-lines" }),
      count.lines_matching > LINES_AT_ONCE ? h("nav", { class: "pager", "aria-label": t("pages") },
        h("button", { type: "button", disabled: view.offset === 0, onclick: turn(-LINES_AT_ONCE) }, t("previous")),
        h("span", { class: "muted" }, `${view.offset + 1}–${view.offset + count.lines.length} / ${count.lines_matching}`),
        h("button", { type: "button", disabled: view.offset + LINES_AT_ONCE >= count.lines_matching, onclick: turn(LINES_AT_ONCE) }, t("next"))) : null,
      history("stocktake", count.number));
  };
  await draw();
}

// Moves ------------------------------------------------------------------------------------------

const MOVES_KEY = "moves";

/** The ledger filtered to one document's moves. */
function showMovesOf(type, number) {
  kept.set(MOVES_KEY, { values: { ref: `${type}:${number}` }, offset: 0 });
  location.hash = "#/office/moves";
}

async function moves(here, panel, id) {
  if (id) return moveRecord(here, panel, id);
  put(panel, pagedList(here, {
    key: MOVES_KEY,
    filters: [{ name: "sku", label: t("item"), placeholder: t("sku") }, { name: "location", label: t("location"), placeholder: t("code") },
      { name: "warehouse", label: t("warehouse"), placeholder: t("code") }, { name: "date_from", label: t("date from"), type: "date" },
      { name: "date_to", label: t("date to"), type: "date" }, { name: "ref", label: t("reference"), placeholder: t("reference hint") }],
    columns: [by("id", num(t("move no"))), by("created_at", t("at")), by("sku", t("sku")), by("qty", num(t("qty"))), by("from", t("from")), by("to", t("to")),
      by("lot", t("lot")), by("value", num(t("value")), may("costs.read")), by("reason", t("reason")), by("ref_id", t("reference")), t("user"), t("reversal")],
    fetchPage: (params) => sync.api("/api/v1/stock/moves", { params }),
    draw: (m) => row({ "data-move": m.id }, [{ text: link("moves", String(m.id)), num: true }, when(m.created_at), m.sku, num(m.qty), m.from, m.to,
      m.lot || "", amount(m.value), { text: m.reason, wrap: true }, reference(m.ref_type, m.ref_id), m.user || "", reversalOf(m)]),
  }));
}

const reversalOf = (m) => (m.reverses ? h("span", {}, `${t("reverses")} `, link("moves", String(m.reverses)))
  : m.reversed_by ? h("span", {}, `${t("reversed by")} `, link("moves", String(m.reversed_by))) : "");

async function moveRecord(here, panel, id) {
  const m = await load(here, panel, sync.api(`/api/v1/stock/moves/${enc(id)}`));
  if (!m) return;
  const reverse = async (event) => {
    const button = event.currentTarget;
    const reason = await askText(`${t("reverse move")} ${m.id}`, t("reversal reason"));
    if (reason === null) return;
    button.disabled = true;
    let reversal;
    try {
      reversal = await sync.api(`/api/v1/stock/moves/${enc(m.id)}/reverse`, { method: "POST", body: { reason } });
    } catch (error) {
      button.disabled = false;
      return fail(error);
    }
    say("ok", `${t("action reverse")} · ${t("done")}: ${t("move no")} ${reversal.id}`);
    location.hash = `#/office/moves/${reversal.id}`;
  };
  put(panel,
    back("moves"),
    h("h3", { tabindex: "-1" }, `${t("move no")} ${m.id} · ${m.sku}`),
    facts([[t("at"), when(m.created_at)], [t("sku"), link("items", m.sku)], [t("qty"), m.qty], [t("from"), m.from], [t("to"), m.to],
      [t("lot"), m.lot], m.serials.length ? [t("serials"), m.serials.join(", ")] : null,
      m.unit_cost === null ? null : [t("unit cost"), amount(m.unit_cost).text], m.value === null ? null : [t("value"), amount(m.value).text],
      [t("reason"), m.reason, { "data-field": "reason" }], [t("reference"), reference(m.ref_type, m.ref_id)], [t("user"), m.user], [t("device"), m.device_id],
      m.reverses ? [t("reverses"), link("moves", String(m.reverses)), { "data-field": "reverses" }] : null,
      m.reversed_by ? [t("reversed by"), link("moves", String(m.reversed_by)), { "data-field": "reversed-by" }] : null]),
    m.actions.includes("reverse") ? h("div", { class: "actions", "data-field": "actions" },
      h("button", { type: "button", class: "primary", "data-action": "reverse", onclick: reverse }, t("reverse move"))) : null);
}

// Reservations -----------------------------------------------------------------------------------

async function reservations(here, panel) {
  const list = pagedList(here, {
    key: "reservations",
    filters: [{ name: "sku", label: t("item"), placeholder: t("sku") }, { name: "warehouse", label: t("warehouse"), placeholder: t("code") },
      { name: "ref", label: t("order"), placeholder: t("reference hint") },
      { name: "include_closed", label: t("status"), options: [["", t("reservation open")], ["true", t("all")]] }],
    columns: [by("id", num(t("reservation no"))), by("created_at", t("created")), by("sku", t("sku")), by("location", t("location")), by("qty", num(t("qty"))),
      by("ref_id", t("order")), by("open", t("status")), t("actions")],
    fetchPage: (params) => sync.api("/api/v1/stock/reservations", { params }),
    draw: (r) => row({ "data-reservation": r.id }, [num(String(r.id)), when(r.created_at), link("items", r.sku), r.location, num(r.qty),
      r.order ? link("sales-orders", r.order) : reference(r.ref_type, r.ref_id), r.open ? t("reservation open") : t("reservation closed"),
      r.open && may("stock.reserve") ? h("button", { type: "button", "data-action": "release", "aria-label": `${t("release reservation")} ${r.id}`,
        onclick: (event) => release(here, panel, r, event.currentTarget) }, t("release")) : ""]),
  });
  put(panel, list);
}

async function release(here, panel, r, button) {
  button.disabled = true;
  try {
    await sync.api(`/api/v1/stock/reservations/${enc(r.id)}/release`, { method: "POST" });
  } catch (error) {
    button.disabled = false;
    return fail(error);
  }
  say("ok", `${t("released")} ${r.id}`);
  if (!showing(here)) return;
  await reservations(here, panel);
  panel.querySelector("form.filters button[type=submit]")?.focus();
}

// Trace ------------------------------------------------------------------------------------------

/** #/office/trace, #/office/trace/lot/<sku>/<lot>, #/office/trace/serial/<serial>[/<sku>]: a lot's or a serial number's way
 * in (receipts and their suppliers, opening stock, customer returns), way out (shipments and their customers, returns to
 * the supplier, scrapping, count losses), where it is now, and every move of it. */
async function trace(here, panel, what, first, second) {
  const asked = what === "lot" ? { sku: first, lot: second } : what === "serial" ? { serial: first, sku: second } : {};
  const result = h("div", { id: "trace-result" });
  const form = h("form", { class: "filters", role: "search", id: "trace-form", "aria-label": t("trace what"), onsubmit: (event) => {
    event.preventDefault();
    const { sku, lot, serial } = valuesOf(event.currentTarget);
    const target = serial ? `#/office/trace/serial/${enc(serial)}${sku ? `/${enc(sku)}` : ""}`
      : sku && lot ? `#/office/trace/lot/${enc(sku)}/${enc(lot)}` : null;
    if (!target) return say("error", t("trace need"));
    if (location.hash === target) return trace(here, panel, ...target.split("/").slice(3).map(decodeURIComponent));
    location.hash = target;
  } },
  control({ name: "sku", label: t("sku"), value: asked.sku, autocomplete: "off", spellcheck: "false" }),
  control({ name: "lot", label: t("lot"), value: asked.lot, autocomplete: "off", spellcheck: "false" }),
  control({ name: "serial", label: t("serial"), value: asked.serial, autocomplete: "off", spellcheck: "false" }),
  h("button", { type: "submit", class: "primary", "data-action": "trace" }, t("trace")));
  put(panel, h("h3", {}, t("trace what")), h("p", { class: "muted" }, t("trace hint")), form, result);
  if (asked.lot && asked.sku) {
    const found = await load(here, result, sync.api(`/api/v1/trace/lots/${enc(asked.sku)}/${enc(asked.lot)}`));
    if (found) put(result, lotTrace(found));
  } else if (asked.serial) {
    const found = await load(here, result, sync.api(`/api/v1/trace/serials/${enc(asked.serial)}`, { params: asked.sku ? { sku: asked.sku } : {} }));
    if (found) put(result, serialTrace(found));
  } else {
    form.querySelector("input[name=sku]").focus();
  }
}

const lotLink = (sku, lot) => h("a", { href: `#/office/trace/lot/${enc(sku)}/${enc(lot)}` }, lot);

function lotTrace(found) {
  return [
    h("h3", { tabindex: "-1" }, `${found.sku} · ${named(found)} · ${t("lot")} ${found.lot}`),
    facts([[t("sku"), link("items", found.sku)], [t("lot"), found.lot, { "data-field": "lot" }], [t("expiry"), found.expiry],
      [t("produced on"), found.produced_on], [t("qty in"), `${found.qty_in} ${found.unit}`, { "data-field": "qty-in" }],
      [t("qty out"), `${found.qty_out} ${found.unit}`, { "data-field": "qty-out" }],
      [t("on hand"), `${found.on_hand} ${found.unit}`, { "data-field": "on-hand" }]]),
    h("h4", {}, t("where now")),
    found.stock.length ? grid([t("warehouse"), t("location"), num(t("on hand")), num(t("reserved")), t("quarantine")],
      found.stock.map((s) => row({ "data-location": s.location }, [s.warehouse || "", s.location, num(s.qty), num(s.reserved),
        s.quarantine ? t("yes") : ""])), { id: "trace-stock" }) : h("p", { class: "muted", id: "trace-stock" }, t("not in stock")),
    flowsOf(found),
  ];
}

function serialTrace(found) {
  return [
    h("h3", { tabindex: "-1" }, `${t("serial")} ${found.serial} · ${found.sku} · ${named(found)}`),
    facts([[t("serial"), found.serial, { "data-field": "serial" }], [t("sku"), link("items", found.sku)],
      [t("lot"), found.lot ? lotLink(found.sku, found.lot) : null, { "data-field": "lot" }], [t("expiry"), found.expiry],
      [t("where now"), found.location, { "data-field": "location" }], [t("warehouse"), found.warehouse],
      [t("in stock"), found.in_stock ? t("yes") : t("no"), { "data-field": "in-stock" }]]),
    flowsOf(found),
  ];
}

/** Where it came from, where it went, and every move: the same for a lot and a serial number. */
function flowsOf(found) {
  return [
    h("h4", {}, t("came from")),
    flowGrid(found.came_from, "trace-from"),
    h("h4", {}, t("went to")),
    flowGrid(found.went_to, "trace-to"),
    h("h4", {}, t("every move")),
    grid([num(t("move no")), t("at"), num(t("qty")), t("from"), t("to"), t("direction"), t("reference"), t("reason"), t("user")],
      found.moves.map((m) => row({ "data-move": m.id, "data-direction": m.direction }, [{ text: link("moves", String(m.id)), num: true }, when(m.created_at),
        num(m.qty), m.from, m.to, known("direction", m.direction), reference(m.ref_type, m.ref_id), { text: m.reason, wrap: true }, m.user || ""])),
      { id: "trace-moves" }),
  ];
}

// The order behind a document: a receipt's or a purchase return's purchase order, a customer return's sales order.
const ORDER_SECTIONS = { receipt: "purchase-orders", purchase_return: "purchase-orders", return: "sales-orders" };

function flowGrid(flows, id) {
  if (!flows.length) return h("p", { class: "muted", id }, t("nothing yet"));
  const reasons = flows.some((f) => f.reason);  // only moves without a document have one
  return grid([t("kind"), t("reference"), t("order"), t("partner"), t("warehouse"), t("at"), num(t("qty")), reasons ? t("reason") : null].filter(Boolean),
    flows.map((f) => row({ "data-kind": f.kind, "data-document": f.document, "data-partner": f.partner?.code }, [known("flow", f.kind),
      reference(f.ref_type, f.document), f.order ? link(ORDER_SECTIONS[f.ref_type] || "sales-orders", f.order) : "",
      f.partner ? link("partners", f.partner.code, `${f.partner.code} · ${named(f.partner)}`) : "", f.warehouse || "", when(f.at), num(f.qty),
      reasons ? { text: f.reason, wrap: true } : null].filter((v) => v !== null))), { id });
}

/** The stock sections of the back office. */
// Transfer orders --------------------------------------------------------------------------------

const TRANSFER_STATES = ["draft", "pending", "approved", "rejected", "shipped", "received", "cancelled"];

async function transfers(here, panel, number) {
  if (number === "new") return newTransfer(here, panel);
  if (number) return transferOrder(here, panel, number);
  put(panel,
    may("transfers.request") ? h("p", { class: "actions" }, h("a", { href: "#/office/transfers/new", class: "button", "data-action": "new" }, t("new transfer")))
      : null,
    pagedList(here, {
      key: "transfers",
      filters: [{ name: "status", label: t("status"), options: [["", t("all")], ...TRANSFER_STATES.map((s) => [s, known("state", s)])] },
        { name: "warehouse", label: t("warehouse"), placeholder: t("code") }],
      columns: [by("number", t("number")), by("status", t("status")), by("from_warehouse", t("from warehouse")), by("to_warehouse", t("to warehouse")),
        t("lines"), by("needed_by", t("needed by")), by("created_at", t("created"))],
      fetchPage: (params) => sync.api("/api/v1/transfers", { params }),
      draw: (o) => row({ "data-transfer": o.number }, [link("transfers", o.number), known("state", o.status), o.from_warehouse, o.to_warehouse,
        { text: o.lines.map((l) => `${l.sku} × ${l.qty}`).join(", "), wrap: true }, o.needed_by || "", when(o.created_at)]),
    }));
}

/** A transfer's lines as a table of SKU and quantity inputs, with a row to add and a button to take a row away; `read`
 *  gives the filled rows in order (a row left empty is no line). */
function transferLines(id, start = []) {
  const rows = h("tbody", {});
  let made = 0;
  const addRow = (line = { sku: "", qty: "" }) => {
    made += 1;
    const n = made;
    const tr = h("tr", { "data-row": n },
      h("td", {}, h("input", { name: `sku-${n}`, value: line.sku, autocomplete: "off", size: 14, "aria-label": `${t("sku")} ${n}` })),
      h("td", {}, h("input", { name: `qty-${n}`, value: line.qty, inputmode: "decimal", size: 8, autocomplete: "off", "aria-label": `${t("qty")} ${n}` })),
      h("td", {}, h("button", { type: "button", "data-action": "remove-line", "aria-label": `${t("remove transfer line")} ${n}`,
        onclick: () => tr.remove() }, t("remove transfer line"))));
    rows.append(tr);
  };
  for (const line of start) addRow(line);
  return {
    element: [h("table", { id }, h("thead", {}, h("tr", {}, h("th", {}, t("sku")), h("th", {}, t("qty")), h("th", {}, ""))), rows),
      h("p", {}, h("button", { type: "button", "data-action": "add-line", onclick: () => addRow() }, t("add transfer line")))],
    read: (values) => [...rows.children].map((tr) => ({ sku: (values[`sku-${tr.dataset.row}`] || "").trim(), qty: (values[`qty-${tr.dataset.row}`] || "").trim() }))
      .filter((l) => l.sku || l.qty),
  };
}

async function newTransfer(here, panel) {
  const houses = await load(here, panel, sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }));
  if (!houses) return;
  const options = houses.items.map((w) => [w.code, `${w.code} ${named(w)}`]);
  const lines = transferLines("transfer-lines", Array.from({ length: 3 }, () => ({ sku: "", qty: "" })));
  const form = recordForm({
    id: "transfer-form", title: t("new transfer"), label: t("create transfer"),
    fields: [
      { name: "from_warehouse", label: t("from warehouse"), options, required: true },
      { name: "to_warehouse", label: t("to warehouse"), options, value: options[1]?.[0], required: true },
      { name: "needed_by", label: t("needed by"), type: "date" },
      { name: "note", label: t("note"), type: "textarea" },
      ...lines.element,
    ],
    submit: (values) => sync.api("/api/v1/transfers", { method: "POST", body: { from_warehouse: values.from_warehouse, to_warehouse: values.to_warehouse,
      lines: lines.read(values), ...(values.needed_by ? { needed_by: values.needed_by } : {}), ...(values.note ? { note: values.note } : {}) } }),
    saved: (order) => {
      say("ok", `${order.number} · ${t("saved")}`);
      go(`#/office/transfers/${enc(order.number)}`);
    },
  });
  put(panel, back("transfers"), form);
  form.querySelector("[name=sku-1]")?.focus();
}

/** Change a transfer not yet shipped: its lines, its note, as a draft the date needed by. Only what changed is sent; a
 *  change waiting for approval, or of the lines once approved, is approved afresh (said above the form). */
function transferEditForm(order, saved, cancel) {
  const key = (l) => `${l.sku}|${Number(l.qty)}`;
  const start = order.lines.map((l) => ({ sku: l.sku, qty: l.qty }));
  const lines = transferLines("transfer-edit-lines", start);
  const draft = order.status === "draft";
  return recordForm({
    id: "transfer-edit", title: t("edit transfer"),
    fields: [
      order.status === "pending" ? restartsApproval() : null,
      order.status === "approved" ? h("p", { class: "muted", "data-field": "restarts-approval" }, t("approved edit")) : null,
      draft ? { name: "needed_by", label: t("needed by"), type: "date", value: order.needed_by || "" } : null,
      { name: "note", label: t("note"), type: "textarea", value: order.note },
      ...lines.element,
    ].filter(Boolean),
    submit: (values) => {
      const body = { version: order.version };
      const now = lines.read(values);
      if (now.map(key).join("\n") !== start.map(key).join("\n")) body.lines = now;
      if ((values.note || "") !== order.note) body.note = values.note || "";
      if (draft && values.needed_by && values.needed_by !== (order.needed_by || "")) body.needed_by = values.needed_by;
      return sync.api(`/api/v1/transfers/${enc(order.number)}`, { method: "PATCH", body });
    },
    saved,
    cancel,
  });
}

async function transferOrder(here, panel, number) {
  const order = await load(here, panel, sync.api(`/api/v1/transfers/${enc(number)}`));
  if (!order) return;
  const path = `/api/v1/transfers/${enc(order.number)}`;
  const again = () => transferOrder(here, panel, number);
  const editing = h("div", { id: "transfer-editing" });
  const shipping = order.actions.includes("ship");
  const receiving = order.actions.includes("receive");
  const place = shipping ? order.from_warehouse : order.to_warehouse;
  const bins = shipping || receiving ? await load(here, panel, sync.api("/api/v1/locations", { params: { warehouse: place, kind: "bin", limit: 500 } })) : null;
  if ((shipping || receiving) && !bins) return;
  const binList = bins ? h("datalist", { id: "transfer-bins" }, bins.items.map((b) => h("option", { value: b.code }, named(b)))) : null;
  const lineFields = (l) => shipping
    ? [{ name: `qty-${l.line}`, label: `${t("qty shipped")} ${l.line} ${l.sku}`, inputmode: "decimal", value: l.qty, size: 8 },
      { name: `location-${l.line}`, label: `${t("ship from")} ${l.line} ${l.sku}`, list: "transfer-bins", size: 10, required: true },
      { name: `lot-${l.line}`, label: `${t("lot")} ${l.line} ${l.sku}`, size: 10 }]
    : [{ name: `qty-${l.line}`, label: `${t("qty received")} ${l.line} ${l.sku}`, inputmode: "decimal", value: l.shipped, size: 8 },
      { name: `location-${l.line}`, label: `${t("receive into")} ${l.line} ${l.sku}`, list: "transfer-bins", size: 10, required: true },
      { name: `note-${l.line}`, label: `${t("why short")} ${l.line} ${l.sku}`, maxlength: 200 }];
  const moving = shipping || receiving ? recordForm({
    id: shipping ? "ship-transfer" : "receive-transfer", title: t(shipping ? "ship transfer" : "receive transfer"),
    label: t(shipping ? "ship transfer" : "receive transfer"),
    fields: order.lines.filter((l) => shipping || l.shipped !== "0").flatMap(lineFields),
    submit: (values) => sync.api(`${path}/${shipping ? "ship" : "receive"}`, { method: "POST", body: { version: order.version,
      lines: order.lines.filter((l) => shipping ? values[`qty-${l.line}`] : l.shipped !== "0").map((l) => ({
        line: l.line, qty: values[`qty-${l.line}`] || "0", location: values[`location-${l.line}`] || "",
        ...(shipping && values[`lot-${l.line}`] ? { lot: values[`lot-${l.line}`] } : {}),
        ...(!shipping && values[`note-${l.line}`] ? { note: values[`note-${l.line}`] } : {}) })) } }),
    saved: async (saved) => {
      say("ok", `${saved.number} · ${known("state", saved.status)}`);
      await again();
    },
  }) : null;
  put(panel,
    back("transfers"),
    h("h3", { tabindex: "-1" }, `${order.number} · ${order.from_warehouse} → ${order.to_warehouse}`),
    facts([[t("status"), known("state", order.status), { "data-field": "status" }], [t("from warehouse"), order.from_warehouse],
      [t("to warehouse"), order.to_warehouse], [t("needed by"), order.needed_by], [t("note"), order.note], [t("created by"), order.created_by],
      [t("approved by"), order.approved_by], [t("created"), when(order.created_at)], [t("version"), order.version]]),
    approvalTrail(order, "transfer-approvals"),
    documentActions(order, { path, ask: { reject: "comment" }, skip: ["ship", "receive"], done: again, run: { edit: () => {
      put(editing, transferEditForm(order, async (saved) => {
        say("ok", `${saved.number} v${saved.version} · ${known("state", saved.status)}`);
        await again();
      }, () => put(editing)));
      editing.querySelector("input, textarea")?.focus();
    } } }),
    editing,
    h("h4", {}, t("lines")),
    grid([num(t("line")), t("sku"), t("name"), t("lot"), num(t("asked")), num(t("shipped")), num(t("received")), num(t("short")), t("ship from"),
      t("receive into"), t("difference note")],
    order.lines.map((l) => row({ "data-line": l.line, "data-sku": l.sku }, [num(String(l.line)), link("items", l.sku), named(l), l.lot || "", num(l.qty),
      num(l.shipped), num(l.received), num(l.short), l.from_location || "", l.to_location || "", { text: l.difference_note, wrap: true }])),
    { id: "transfer-lines-table" }),
    moving, binList,
    history("transfer", order.number));
}

export const sections = {
  transfers: { draw: transfers, group: "stock", label: () => t("transfers") },
  stocktakes: { draw: stocktakes, group: "stock", label: () => t("stocktakes") },
  moves: { draw: moves, group: "stock", label: () => t("moves") },
  reservations: { draw: reservations, group: "stock", label: () => t("reservations") },
  trace: { draw: trace, group: "stock", label: () => t("trace") },
};
