// The back office's building blocks, shared by its sections: texts, cells and grids, record facts, paged lists with
// filters, downloads, forms that show the server's refusal at the field it is about, and a document's actions as the
// server lists them for this user.

import * as sync from "./sync.js";
import { addText, language, said, t as text } from "./i18n.js";
import { h, say, showing, saveFile, money, scroller } from "./ui.js";

// The back office's texts live under "office." so they cannot clash with the app's; t() reads them. A section module
// adds its own under "office.<area>." with deskTexts(texts, area), and reads them with the t() it gets back, so the
// same word may read differently where it means something else (paid: 已付 to a supplier, 已收款 from a customer).
const TEXTS = {};
const AREAS = {};

export const t = (key) => text(`office.${key}`);
/** A text for a value the server names (a state, a choice), or the value itself when it is one this screen does not know. */
export const known = (prefix, value) => (Object.hasOwn(TEXTS, `${prefix} ${value}`) ? t(`${prefix} ${value}`) : value);
export const stateOptions = (states, read = known) => [["", t("all")], ...states.map((s) => [s, read("state", s)])];

/**
 * Add texts ({key: [zh, en]}): the back office's own, or, with `area`, a section module's. Answers that area's
 * {t, known, stateOptions}: its own texts first, then the back office's.
 */
export function deskTexts(texts, area = null) {
  const prefix = area ? `office.${area}.` : "office.";
  const own = area ? (AREAS[area] ||= {}) : TEXTS;
  Object.assign(own, texts);
  addText(Object.fromEntries(Object.entries(texts).map(([key, pair]) => [`${prefix}${key}`, pair])));
  if (!area) return { t, known, stateOptions };
  const read = (key) => (Object.hasOwn(own, key) ? text(`${prefix}${key}`) : t(key));
  const knownHere = (kind, value) => (Object.hasOwn(own, `${kind} ${value}`) ? read(`${kind} ${value}`) : known(kind, value));
  return { t: read, known: knownHere, stateOptions: (states) => stateOptions(states, knownHere) };
}

// Who is signed in, as the back office last drew: what they may do decides which sections and buttons show (the server
// refuses the rest anyway).
let signedIn = null;

export function setCurrent(current) {
  signedIn = current;
}

/** Whether the signed-in user has a permission (server/auth/permissions.py); a session from before permissions were
 * sent with it may everything, as before. */
export function may(permission) {
  const granted = signedIn?.user?.permissions;
  return !granted || granted.includes(permission);
}

/** The company's time zone (the server's CANGKU_TIMEZONE): times are shown in it, as the reports show them. */
export const zone = () => signedIn?.user?.timezone || "Asia/Shanghai";

// Small pieces -----------------------------------------------------------------------------------

export const named = (row) => (language() === "zh" ? row.name_zh || row.name_en : row.name_en || row.name_zh) || "";
export const enc = encodeURIComponent;
export const num = (value) => ({ text: value ?? "—", num: true });
/** A list's column the list can be sorted by: the field the API sorts on (`sort=<field>`), or a plain column when `allowed`
 * is false (a cost or price the user may not see is no order to sort by either). */
export const by = (field, column, allowed = true) => {
  if (!allowed) return column;
  return column && typeof column === "object" && !(column instanceof Node) ? { ...column, sort: field } : { text: column, sort: field };
};
/** An amount of money in a cell (12,345.60); one the user may not see, or there is none of, shows `otherwise`. */
export const amount = (value, otherwise = "—") => num(value === null || value === undefined ? otherwise : money(value));
export const link = (section, key, label = key) => h("a", { href: `#/office/${section}/${enc(key)}` }, label);
export const back = (section) => h("p", {}, h("a", { href: `#/office/${section}`, class: "back" }, `← ${t("back")}`));
const timeFormats = new Map();
const localTime = (timeZone) => {
  if (!timeFormats.has(timeZone)) timeFormats.set(timeZone, new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "short" }));
  return timeFormats.get(timeZone);
};
export const when = (iso) => (iso ? localTime(zone()).format(new Date(iso)) : "");

export function fail(error) {
  say("error", said(error));
}

/** A cell: text, a node, or {text, num: true} (figures are the API's strings, right-aligned, never recomputed) or {text, wrap: true}. */
export function cell(tag, value, attrs = {}) {
  const figure = value && typeof value === "object" && !(value instanceof Node);
  return h(tag, { ...attrs, class: figure ? (value.num ? "num" : value.wrap ? "wrap" : null) : null }, figure ? value.text : value ?? "");
}

export const row = (attrs, values) => h("tr", attrs, values.map((value) => cell("td", value)));

export function grid(columns, rows, attrs = {}) {
  return scroller(h("table", attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => cell("th", c, { scope: "col", "aria-sort": c?.sorted || null })))), h("tbody", {}, rows)));
}

/** Label and value pairs of one record. */
export function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([label, value, attrs = {}]) =>
    h("div", attrs, h("dt", {}, label), h("dd", {}, value === null || value === undefined || value === "" ? "—" : value))));
}

/** Replace what an element shows; parts may be nodes, text, lists of them, or null (left out). */
export function put(element, ...parts) {
  element.replaceChildren(...parts.flat(Infinity).filter((part) => part !== null && part !== undefined && part !== false));
}

/** An API answer for the screen that asked, or null (its error is shown in `panel` and the notice; or the screen is gone). */
export async function load(here, panel, request) {
  try {
    const answer = await request;
    return showing(here) ? answer : null;
  } catch (error) {
    if (showing(here)) {
      fail(error);
      put(panel, h("p", { class: "muted" }, said(error)));
    }
    return null;
  }
}

/** A control of a filter form: {name, label, type: "search"|"text"|"date"|"number", options: [[value, text]], ...attributes}. */
export function control({ name, label, options, value, ...attrs }) {
  const input = options
    ? h("select", { name }, options.map(([v, shown]) => h("option", { value: v, selected: String(value ?? "") === String(v) }, shown)))
    : h("input", { name, type: "text", value: value ?? "", ...attrs });
  return h("label", {}, label, input);
}

export const valuesOf = (form) => Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ""));

// Lists are remembered per section, so coming back from a record finds the list as it was left.
export const kept = new Map();

/** A paged list: filters above, a table, a pager; `fetchPage(params)` answers one page ({items, total}). */
export function pagedList(here, { key, filters = [], columns, fetchPage, draw, size = 50 }) {
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
  const saving = h("span", { class: "export" },
    h("button", { type: "button", "data-export": "xlsx", onclick: () => saveList("xlsx") }, t("export xlsx")),
    h("button", { type: "button", "data-export": "csv", onclick: () => saveList("csv") }, t("export csv")));
  const pager = h("nav", { class: "pager", "aria-label": t("pages") }, previous, range, next, saving);
  // A column that names a `sort` field sorts the list by it: once ascending, again descending.
  const sortBy = (field) => () => {
    state.values = { ...state.values, sort: state.values.sort === field ? `-${field}` : field };
    state.offset = 0;
    show();
  };
  const header = (c) => {
    if (!c || typeof c !== "object" || c instanceof Node || !c.sort) return c;
    const order = state.values.sort === c.sort ? "ascending" : state.values.sort === `-${c.sort}` ? "descending" : null;
    const { sort, ...shown } = c;
    return { ...shown, text: h("button", { type: "button", class: "sort", "data-sort": sort, onclick: sortBy(sort) },
      c.text, h("span", { "aria-hidden": "true" }, order === "ascending" ? " ▲" : order === "descending" ? " ▼" : "")), sorted: order };
  };
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
    const focusedSort = document.activeElement?.dataset?.sort;
    put(result, page.items.length ? grid(columns.map(header), page.items.map(draw)) : h("p", { class: "muted" }, t("nothing found")));
    if (focusedSort) result.querySelector(`[data-sort="${focusedSort}"]`)?.focus();
    // The pager's buttons stay the same elements, so a keyboard user paging on keeps the focus.
    const focused = document.activeElement;
    previous.disabled = state.offset === 0;
    next.disabled = state.offset + size >= page.total;
    range.textContent = page.total ? `${state.offset + 1}–${state.offset + page.items.length} / ${page.total}` : "0";
    for (const button of [previous, next]) button.hidden = page.total <= size;
    saving.hidden = !page.total;
    if (focused?.disabled) (focused === next ? previous : next).focus();
  };
  // Saving the list: every page under the same filters and sort, each row as the screen draws it, as a file.
  const saveList = async (format) => {
    const busy = saving.querySelectorAll("button");
    for (const button of busy) button.disabled = true;
    try {
      const items = [];
      for (let offset = 0; ; offset += EXPORT_PAGE) {
        const page = await fetchPage({ ...state.values, limit: EXPORT_PAGE, offset });
        if (page.total > EXPORT_MAX) return say("error", t("export too large").replace("{n}", EXPORT_MAX.toLocaleString()));
        items.push(...page.items);
        if (!page.items.length || offset + EXPORT_PAGE >= page.total || !showing(here)) break;
      }
      if (!showing(here)) return;
      const drawn = items.map(draw);
      // Columns of controls (a checkbox to choose rows, a button per row) are not data: left out, as are untitled ones.
      const controls = (i) => drawn.every((tr) => tr.children[i]?.querySelector("button, input, select") && cellText(tr.children[i]) === null);
      const titled = columns.map((c, i) => [i, textOf(c)]).filter(([i, title]) => title && !controls(i));
      const isFigure = (i) => drawn.some((tr) => tr.children[i]?.classList.contains("num"));
      const heading = document.querySelector("#app h2")?.textContent.split(" · ").pop() || key;
      await download("/api/v1/exports", { method: "POST", body: {
        name: key || "list", title: heading, format, lang: language(),
        columns: titled.map(([i, title]) => ({ title, type: isFigure(i) ? "number" : "text" })),
        rows: drawn.map((tr) => titled.map(([i]) => cellText(tr.children[i]))),
        filters: filterLines(),
      } });
    } catch (error) {
      fail(error);  // a page of the list could not be read (offline, signed out): said, nothing saved
    } finally {
      for (const button of busy) button.disabled = false;
    }
  };
  const form = filters.length ? h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    state.values = { ...valuesOf(event.currentTarget), ...(state.values.sort ? { sort: state.values.sort } : {}) };
    state.offset = 0;
    show();
  }, onchange: (event) => { if (event.target.tagName === "SELECT") event.currentTarget.requestSubmit(); } },
  filters.map((f) => control({ ...f, value: state.values[f.name] })),
  h("button", { type: "submit", class: "primary" }, t("find"))) : null;
  // What the list was filtered by, as the form reads: "状态: 已审批".
  const filterLines = () => (form ? [...form.querySelectorAll("label")].map((label) => {
    const input = label.querySelector("input, select");
    const value = input?.tagName === "SELECT" ? (input.value ? input.selectedOptions[0]?.textContent : "") : input?.value.trim();
    return value ? `${label.firstChild.textContent.trim()}: ${value}` : null;
  }).filter(Boolean) : []);
  show();
  return h("div", {}, form, result, pager);
}

const EXPORT_PAGE = 500;  // the most one request of a list gives
const EXPORT_MAX = 10_000;  // rows in one saved file (the server takes no more)
const textOf = (c) => (c && typeof c === "object" && !(c instanceof Node) ? String(c.text ?? "") : c instanceof Node ? c.textContent : String(c ?? "")).trim();
/** A cell as the reader sees it: its text, without controls (a button in a row is not data). */
function cellText(td) {
  if (!td) return null;
  const copy = td.cloneNode(true);
  for (const control of copy.querySelectorAll("button, input, select")) control.remove();
  const shown = copy.textContent.replace(/\s+/g, " ").trim();
  return shown === "" ? null : shown.slice(0, 2000);
}


// Files: labels and exports need the bearer token, so they are fetched, then saved under the server's name ----------

export async function download(path, options) {
  try {
    const file = await sync.fetchFile(path, options);
    saveFile(file);
    say("ok", `${t("downloaded")} ${file.name}`);
  } catch (error) {
    fail(error);
  }
}

/** A document's subtotal, tax and total, as the server figured them, in its currency. */
export const totals = (doc) => h("table", { class: "totals" }, h("tbody", {},
  [["subtotal", doc.subtotal], ["tax", doc.tax], ["total", doc.total]].map(([key, value]) =>
    h("tr", { "data-field": key }, h("th", { scope: "row" }, t(key)), cell("td", num(value && `${money(value)} ${doc.currency || ""}`.trim()))))));

// Forms and document actions ------------------------------------------------------------------------

deskTexts({
  save: ["保存", "Save"],
  cancel: ["取消", "Cancel"],
  saved: ["已保存", "Saved"],
  done: ["已完成", "Done"],
  "go back": ["返回", "Back"],
  "reason for": ["原因：", "Reason:"],
  "comment for": ["意见：", "Comment:"],
  "action submit": ["提交审批", "Submit for approval"],
  "action approve": ["审批通过", "Approve"],
  "action reject": ["驳回", "Reject"],
  "action withdraw": ["撤回审批", "Withdraw"],
  "action revise": ["修改", "Revise"],
  "action cancel": ["取消单据", "Cancel document"],
  "action close": ["关闭", "Close"],
  "action post": ["过账", "Post"],
  "action send": ["发送", "Send"],
  "action accept": ["接受（转销售订单）", "Accept (make a sales order)"],
  "action confirm": ["确认", "Confirm"],
  "action credit-release": ["信用放行", "Release credit hold"],
  "action ship": ["发货", "Ship"],
  "action invoice": ["开票", "Invoice"],
  "action receive": ["收货", "Receive"],
  "action release": ["下达到仓库", "Release to the floor"],
  "action recount": ["要求复盘", "Ask for a recount"],
  "action order": ["转采购订单", "Turn into a purchase order"],
  "action reverse": ["冲销", "Reverse"],
  "action edit": ["修改", "Edit"],
  "action dispose": ["处理退货", "Restock or scrap"],
  "action complete": ["收货完成（待质检）", "Receiving done (to inspection)"],
  "action inspect": ["质检", "Inspect"],
});

/** The field a refusal is about: the one the server names (`details.field`, or a validation error's `$.name[0]…`). */
export function fieldOf(error) {
  const details = error?.body?.details || {};
  const key = details.field || details.errors?.[0]?.key || "";
  return String(key).replace(/^\$\.?/, "").split(/[.[]/)[0] || null;
}

/** One input of a record form: {name, label, type: text|number|date|textarea|checkbox, options: [[value, text]], value, …}. */
export function formField({ name, label, options, value, type = "text", hint, ...attrs }) {
  let input;
  if (options) {
    input = h("select", { name, ...attrs }, options.map(([v, shown]) => h("option", { value: v, selected: String(value ?? "") === String(v) }, shown)));
  } else if (type === "textarea") {
    input = h("textarea", { name, rows: 3, ...attrs }, value ?? "");
  } else if (type === "checkbox") {
    input = h("input", { name, type, checked: Boolean(value), ...attrs });
  } else {
    input = h("input", { name, type, value: value ?? "", autocomplete: "off", ...attrs });
  }
  return h("label", { class: type === "checkbox" ? "check" : null }, label, input, hint ? h("small", { class: "muted" }, hint) : null);
}

/** A form's values: text trimmed, empty text left out, checkboxes true or false. */
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    if (element.type === "checkbox") values[element.name] = element.checked;
    else if (String(element.value).trim() !== "") values[element.name] = String(element.value).trim();
  }
  return values;
}

/** Say a refusal inside `form` (in `problem`), mark the field it is about and put the cursor there; what was typed stays. */
export function showRefusal(form, problem, error) {
  fail(error);
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  problem.textContent = said(error);
  problem.hidden = false;
  const name = fieldOf(error);
  const field = name && form.querySelector(`[name="${name}"]`);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  } else {
    problem.focus();
  }
}

/** A record form: `fields` (see formField, or nodes), `submit(values)` saves and answers the record; `saved(record)` after. */
export function recordForm({ id, title, fields, submit, saved, cancel, label = t("save") }) {
  const problem = h("p", { class: "form-error", role: "alert", tabindex: "-1", "data-field": "form-error", hidden: true });
  const button = h("button", { type: "submit", class: "primary", "data-action": "save" }, label);
  const form = h("form", { class: "record-form", id, "aria-label": title, onsubmit: async (event) => {
    event.preventDefault();
    problem.hidden = true;
    button.disabled = true;
    let record;
    try {
      record = await submit(formValues(form), form);
    } catch (error) {
      button.disabled = false;
      return showRefusal(form, problem, error);
    }
    button.disabled = false;
    await saved?.(record);
  } },
  title ? h("h3", {}, title) : null,
  h("div", { class: "fields" }, fields.map((f) => (f instanceof Node ? f : formField(f)))),
  problem,
  h("div", { class: "actions" }, button, cancel ? h("button", { type: "button", "data-action": "cancel", onclick: cancel }, t("cancel")) : null));
  return form;
}

/** Ask for a text in a modal dialog (a reason, a comment); null when the person goes back. */
export function askText(title, label, { required = true } = {}) {
  return new Promise((resolve) => {
    const input = h("textarea", { name: "text", rows: 3, required, maxlength: 500 });
    const dialog = h("dialog", { class: "ask", "aria-label": title },
      h("form", { method: "dialog", onsubmit: (event) => {
        if (required && !input.value.trim()) {
          event.preventDefault();
          input.focus();
        }
      } },
      h("h3", {}, title),
      h("label", {}, label, input),
      h("div", { class: "actions" },
        h("button", { class: "primary", value: "ok", "data-action": "ok" }, t("save")),
        h("button", { type: "button", "data-action": "back", onclick: () => dialog.close("") }, t("go back")))));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok" ? input.value.trim() : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
}

/**
 * The buttons of what this user may do to a document now, exactly as the server lists them (`doc.actions`): each posts
 * `{version}` (and a reason or comment it asks for first) to `<path>/<action>` and calls `done(answer)`.
 *   ask: {action: "reason" | "comment"} — actions that need a text; run: {action: fn} — actions done another way.
 */
export function documentActions(doc, { path, ask = {}, run = {}, done, skip = [] }) {
  const buttons = (doc.actions || []).filter((action) => !skip.includes(action)).map((action) => h("button", {
    type: "button", "data-action": action, class: action === (doc.actions || [])[0] ? "primary" : null,
    onclick: async (event) => {
      const button = event.currentTarget;
      if (run[action]) return run[action](doc);
      const body = { version: doc.version };
      if (ask[action]) {
        const text = await askText(t(`action ${action}`), t(`${ask[action]} for`));
        if (text === null) return;
        body[ask[action]] = text;
      }
      button.disabled = true;
      let answer;
      try {
        answer = await sync.api(`${path}/${action}`, { method: "POST", body });
      } catch (error) {
        button.disabled = false;
        return fail(error);
      }
      say("ok", `${t(`action ${action}`)} · ${t("done")}`);
      await done?.(answer, action);
    },
  }, t(`action ${action}`)));
  return buttons.length ? h("div", { class: "actions", "data-field": "actions" }, buttons) : null;
}

/**
 * A document's history — who did what to it and when — folded away under its page until opened, then read from the
 * server (GET /api/v1/history/<kind>/<number>). What was changed is shown to those who may read the audit log.
 */
export function history(kind, number) {
  const body = h("div", { class: "history-body" });
  let loaded = false;
  const panel = h("details", { class: "history", "data-field": "history", ontoggle: async () => {
    if (!panel.open || loaded) return;
    loaded = true;
    put(body, h("p", { class: "muted" }, t("loading")));
    let answer;
    try {
      answer = await sync.api(`/api/v1/history/${enc(kind)}/${enc(number)}`, { params: { limit: 500 } });
    } catch (error) {
      loaded = false;
      return put(body, h("p", { class: "muted" }, said(error)));
    }
    put(body, answer.items.length
      ? grid([t("when"), t("who"), t("what"), t("details")], answer.items.map((entry) => row({ "data-action": entry.action }, [
        when(entry.at), entry.user || "—", language() === "zh" ? entry.said_zh : capitalised(entry.said_en), { text: detailsText(entry.details), wrap: true }])))
      : h("p", { class: "muted" }, t("no history")));
  } }, h("summary", {}, t("history")), body);
  return panel;
}

const capitalised = (text) => (text ? text[0].toUpperCase() + text.slice(1) : "");

/** What an audit entry recorded, as "field: value" pairs: lists joined with commas, pairs within them with spaces. */
function detailsText(details) {
  if (!details) return "";
  const plain = (value) => (Array.isArray(value) ? value.map((v) => (Array.isArray(v) ? v.join(" ") : plain(v))).join(", ")
    : value && typeof value === "object" ? Object.entries(value).map(([k, v]) => `${k} ${plain(v)}`).join(", ") : String(value));
  return Object.entries(details).filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([key, value]) => `${key}: ${plain(value)}`).join(" · ");
}
