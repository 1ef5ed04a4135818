// What every screen draws with: an element builder, the notice line, the screen frame, the scan bar and navigation.

import * as scan from "./scan.js";
import { language, t } from "./i18n.js";

const main = document.getElementById("app");
const scanbar = document.getElementById("scanbar");
const scanField = document.getElementById("scan");
const notice = document.getElementById("notice");

/** h("button", {class: "primary", onclick}, "text", child…): a small element builder. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** The page around the screens in the language showing: the window's title, the header and the scan bar. The language
 *  button names the other language in that language (and says so with its `lang`), so it can be found by whoever
 *  cannot read the one showing. */
export function frame() {
  document.title = t("app name");
  document.querySelector("#bar h1").textContent = t("app name");
  document.getElementById("home").setAttribute("aria-label", t("home"));
  scanField.placeholder = t("scan or type");
  scanField.setAttribute("aria-label", t("scan field"));
  document.getElementById("camera").setAttribute("aria-label", t("scan with the camera"));
  document.getElementById("camera-close").setAttribute("aria-label", t("close the camera"));
  const switcher = document.getElementById("language");
  switcher.textContent = t("language");
  switcher.lang = language() === "zh" ? "en" : "zh-CN";
}

let noticeTimer = null;
let drawn = null;  // the hash of the screen drawn last

/** A notice under the scan bar: an error stays until the next thing happens, good news fades after a few seconds. */
export function say(kind, text) {
  notice.hidden = false;
  notice.dataset.kind = kind;
  notice.textContent = text;
  clearTimeout(noticeTimer);
  if (kind === "ok") noticeTimer = setTimeout(quiet, 4000);
}

export function quiet() {
  notice.hidden = true;
  notice.textContent = "";
}

export const noticeKind = () => (notice.hidden ? null : notice.dataset.kind);

export const dec = (value) => Number(value || 0);
export const fmt = (n) => String(Math.round(n * 10000) / 10000);

/** An amount of money as people read one: thousands separated, at least two decimals (a unit price may carry more),
 *  from the API's decimal string, never through a float: "12345.6" → "12,345.60". Empty stays empty. */
export function money(value) {
  if (value === null || value === undefined || value === "") return "";
  const parts = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(value));
  if (!parts) return String(value);
  const [, sign, whole, fraction = ""] = parts;
  return `${sign}${whole.replace(/\B(?=(\d{3})+$)/g, ",")}.${fraction.replace(/0+$/, "").padEnd(2, "0")}`;
}

const HOLDERS = ["data-po", "data-so", "data-task", "data-op", "data-sku", "data-warehouse", "data-line"];

/** A selector for the focused control that still finds it once the screen is drawn again (a list refreshed from
 * the server must not throw the keyboard user back to the top). */
function focusKey(element) {
  if (!element || element === document.body || !main.contains(element)) return null;
  const marked = HOLDERS.find((a) => element.hasAttribute(a));  // a control that names itself: a task tile, a row's button
  if (marked) return `${element.tagName.toLowerCase()}[${marked}="${CSS.escape(element.getAttribute(marked))}"]`;
  const own = element.dataset.action ? `[data-action="${CSS.escape(element.dataset.action)}"]`
    : element.name ? `[name="${CSS.escape(element.name)}"]` : element.tagName.toLowerCase();
  const holder = element.parentElement?.closest(HOLDERS.map((a) => `[${a}]`).join(","));
  if (!holder) return own;
  const attribute = HOLDERS.find((a) => holder.hasAttribute(a));
  return `[${attribute}="${CSS.escape(holder.getAttribute(attribute))}"] ${own}`;
}

/** Draw a screen: its title and content replace what <main> showed; the focus stays on the same control. */
export function screen(title, ...content) {
  const key = focusKey(document.activeElement);
  main.replaceChildren(h("h2", {}, title), ...content.filter((part) => part !== null && part !== undefined && part !== false));
  if (key) main.querySelector(key)?.focus();
  drawn = location.hash;
  main.dataset.screen = (location.hash.replace(/^#\//, "").split("/")[0]) || "home";
}

/** A working screen takes scans (the scan bar shows and keeps the focus); null hides the bar. */
export function working(onScan) {
  scanbar.hidden = !onScan;
  scan.onScan(onScan || null);
  // Drawn again (something arrived) while the user is on one of its controls: the focus stays there, not in the
  // scan field — a keyboard user who tabbed to a tile must not lose it to a sync.
  const redrawn = drawn === location.hash && main.contains(document.activeElement);
  if (onScan && !redrawn) scanField.focus();
}

/** Whether the screen that started drawing is still the one showing (a slow redraw must not cover the next screen). */
export function showing(hash) {
  return location.hash === hash;
}

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

// A screen's life: the router opens one (`mount`), and what it set up to follow changes — listeners, watches — is undone
// when the next one opens, whichever way it is left (another address, or the same one drawn again in the other language).
let router = null;
let leaving = [];

/** The app's router: `redraw()` opens the screen of the current address again. */
export function setRouter(open) {
  router = open;
}

export const redraw = () => router?.();

/** Called by the router as a screen opens: the one before is left. */
export function mount() {
  for (const undo of leaving.splice(0)) undo();
}

/** Undo `fn` when the screen on display is left. */
export function onLeave(fn) {
  leaving.push(fn);
}

/** Listen while the screen on display is showing. */
export function listen(target, type, fn) {
  target.addEventListener(type, fn);
  onLeave(() => target.removeEventListener(type, fn));
}

// A box that scrolls sideways (a wide table on a narrow screen) takes the keyboard's focus, so it can be scrolled
// without a mouse; one that fits takes none, so a desk user does not tab through every table.
const sideways = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const box = target.classList.contains("scroll") ? target : target.parentElement;
    if (!box?.isConnected) continue;
    if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  }
});

/** A wrapper that scrolls `content` sideways when it is wider than the screen (and is then reachable by keyboard). */
export function scroller(content, attrs = {}) {
  const box = h("div", { ...attrs, class: ["scroll", attrs.class].filter(Boolean).join(" ") }, content);
  sideways.observe(box);
  sideways.observe(content);
  return box;
}

/** A table from column titles and rows of cells; a cell is text or {text, num: true}. */
export function table(columns, rows, attrs = {}) {
  const cell = (tag, value) => (value && typeof value === "object" && !(value instanceof Node)
    ? h(tag, { class: value.num ? "num" : null, ...(value.attrs || {}) }, value.text ?? "")
    : h(tag, {}, value ?? ""));
  return h("table", attrs,
    h("thead", {}, h("tr", {}, columns.map((c) => cell("th", c)))),
    h("tbody", {}, rows.map((row) => (row instanceof Node ? row : h("tr", {}, row.map((c) => cell("td", c)))))));
}

/** Hand a fetched file ({blob, name}) to the browser: it downloads, or opens in the PDF viewer on a phone. */
export function saveFile({ blob, name }) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
