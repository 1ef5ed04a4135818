// Scanning: keyboard-wedge scanners (a fast burst of keys ending in Enter or Tab, wherever the focus is), typed entry
// in the scan field, and (see camera.js) the camera. Every scan is resolved on the device first, and answered
// with a tone and a vibration: one for OK, another for an error.

import * as store from "./store.js";
import { loadAiTable, looksLikeGS1, parseGS1 } from "./gs1.js";

const BURST_GAP_MS = 50;  // scanners send keys a few ms apart; people type slower
const BURST_MIN = 2;  // bin codes can be short; two keys 50 ms apart and an Enter are still no person typing
let handler = null;
let burst = { keys: "", last: 0, target: null, before: null };
let aiTable = null;

let held = null;  // scans that came while the next screen was opening: they are that screen's
let opening = 0;  // screens being opened now (one may start before the last has said what scans mean on it)

/** Route every scan to `fn(code)`: the screen that is showing decides what a scan means. Scans that came while it
 *  was opening are its first ones (a screen that takes no scans drops them). */
export function onScan(fn) {
  handler = fn;
  const waiting = held;
  held = null;
  if (fn && waiting?.length) setTimeout(() => { for (const code of waiting) if (handler === fn) fn(code); });
}

/** Another screen is opening: a scan made meanwhile (the worker scans as soon as they tap) waits for it instead of
 *  meaning what it meant on the screen being left. Only a screen that takes scans holds them. */
export function hold() {
  opening += 1;
  if (held !== null || handler === null) return;
  held = [];
  handler = (code) => held.push(code);
}

/** A screen has opened: when none is opening any more and none said what scans mean, what was held is dropped rather
 *  than kept for a later screen. */
export function settle() {
  opening = Math.max(0, opening - 1);
  if (opening || held === null) return;
  held = null;
  handler = null;
}

export function dispatch(code) {
  const text = code.replace(/[\r\n]+$/, "");
  if (text && handler) handler(text);
}

function editable(element) {
  return element && (element.tagName === "INPUT" || element.tagName === "TEXTAREA") && !element.readOnly;
}

/** Keys from a wedge scanner arrive as a burst; if focus was in another field, its text is put back as it was. */
export function installWedge(scanField) {
  document.addEventListener("keydown", (event) => {
    const now = performance.now();
    if (event.key === "Enter" || event.key === "Tab") {
      // Only a screen that takes scans takes bursts: on the others (sign-in, forms) fast typing or a password
      // manager's fill is just typing.
      const fast = handler !== null && burst.keys.length >= BURST_MIN && now - burst.last < BURST_GAP_MS * 3;
      if (fast) {
        // A scanner's burst is the scan, wherever its keys landed (focus may even have moved during it): the field it
        // started in gets its text back, and the scan is the longer of what the scan field holds and the burst (a busy
        // page can split one burst in two; the scan field then still holds every key).
        event.preventDefault();
        if (editable(burst.target) && burst.target !== scanField && burst.before !== null) burst.target.value = burst.before;
        const typed = scanField.value;
        const code = typed.endsWith(burst.keys) ? typed : burst.keys.endsWith(typed) ? burst.keys : event.target === scanField ? typed : burst.keys;
        scanField.value = "";
        dispatch(code);
      }
      burst = { keys: "", last: 0, target: null, before: null };
      return;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.altKey || event.metaKey) return;
    if (now - burst.last > BURST_GAP_MS) {
      burst = { keys: "", last: now, target: event.target, before: editable(event.target) ? event.target.value : null };
    }
    burst.keys += event.key;
    burst.last = now;
  }, true);
  scanField.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = scanField.value.trim();
    scanField.value = "";
    if (code) dispatch(code);
  });
  // Focus comes back to the scan field whenever nothing else wants it (after a tap on a button too).
  document.addEventListener("click", (event) => {
    if (editable(event.target) || event.target.closest("select")) return;
    setTimeout(() => {
      if (!editable(document.activeElement) && !scanField.closest("[hidden]")) scanField.focus();
    }, 0);
  });
}

// Tones and vibration -------------------------------------------------------------------------------

let audio = null;

function tone(frequency, ms, at = 0) {
  try {
    audio = audio || new AudioContext();
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.frequency.value = frequency;
    oscillator.connect(gain).connect(audio.destination);
    gain.gain.value = 0.2;
    oscillator.start(audio.currentTime + at);
    oscillator.stop(audio.currentTime + at + ms / 1000);
  } catch { /* no sound on this device */ }
}

export function ok() {
  tone(1320, 90);
  navigator.vibrate?.(40);
  document.body.dataset.feedback = "ok";
}

export function error() {
  tone(220, 180);
  tone(220, 180, 0.25);
  navigator.vibrate?.([120, 60, 120]);
  document.body.dataset.feedback = "error";
}

// Local resolution ------------------------------------------------------------------------------------

function firstData(rows) {
  return rows.length ? rows[0].data : null;
}

/** What a code is, from the device's own catalog: an item (and how many one scan counts), a location, a lot, GS1 — tried in
 *  the server's order (server/scan/services.py): a code shaped like GS1 is read as GS1 only; any other is looked up first,
 *  and read as GS1 when nothing has that code (a lot code may look like element strings: "2405A" is AI 240). */
export async function resolve(code) {
  const found = looksLikeGS1(code) ? null : await lookUp(code);
  if (found) return found;
  aiTable = aiTable || await loadAiTable().catch(() => null);
  const gs1 = aiTable ? parseGS1(code, aiTable) : null;
  if (gs1) return withItem(gs1);
  return { kind: "unknown", code };
}

async function lookUp(code) {
  const barcode = firstData(await store.byCode("barcode", code));
  if (barcode) return { kind: "item", sku: barcode.sku, qty: barcode.qty, item: firstData(await store.bySku("item", barcode.sku)) };
  const item = firstData(await store.bySku("item", code));
  if (item) return { kind: "item", sku: item.sku, qty: "1", item };
  const place = firstData(await store.byCode("location", code));
  if (place) return { kind: "location", code: place.code, location: place };
  const lots = (await store.byCode("lot", code)).map((row) => row.data);
  if (lots.length === 1) return { kind: "lot", sku: lots[0].sku, lot: lots[0].code, expiry: lots[0].expiry };
  return null;
}

/** A GS1 scan with the item its GTIN is registered for, when the device knows it. */
async function withItem(gs1) {
  const gtin = gs1.gtin;
  let found = null;
  if (gtin) {
    for (const candidate of [gtin, gtin.replace(/^0+/, ""), gtin.slice(1)]) {
      found = found || firstData(await store.byCode("barcode", candidate));
    }
  }
  if (!found) return { kind: "gs1", gs1 };
  return { kind: "item", sku: found.sku, qty: gs1.qty || found.qty, lot: gs1.lot, expiry: gs1.expiry, serial: gs1.serial,
           item: firstData(await store.bySku("item", found.sku)), gs1 };
}
