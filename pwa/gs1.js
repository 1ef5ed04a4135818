// GS1 element strings read on the device, by the same rules as the server (labels/gs1.py, through biip):
// the AI table in gs1-ais.json is biip's, and both sides are checked against labels/vectors/gs1_scans.json.
//
//   import { loadAiTable, parseGS1 } from "./gs1.js";
//   const table = await loadAiTable();
//   parseGS1("]C10109506000134352172612311 0ABC", table)  // -> null (a space is not allowed in a lot)
//   parseGS1("(01)09506000134352(17)261231(10)ABC123", table)
//     // -> {elements: {"01": ..., "17": ..., "10": ...}, gtin, lot, expiry: "2026-12-31", serial, qty, sscc}

const GS = "\x1d";
const PREFIXES = ["]C1", "]d2", "]Q3", "]e0", "]J1"];
// A symbology identifier is "]", the symbology's code character and a modifier. Read as the server reads one (biip):
// EAN/UPC and ITF-14 carry a GTIN, never element strings; a code character ISO 15424 does not define is not a scan of
// anything; any other symbology's data is read as element strings.
const GTIN_ONLY = ["]E0", "]E3", "]E4", "]I1"];
const CODE_CHARACTERS = "ABCDEFGHIKLMNOPQRSTUXYZcdeopsz";
// What Python's str.strip() takes off both ends: whitespace and the separators \x1c-\x1f (GS among them).
const ENDS = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

export async function loadAiTable(url = new URL("./gs1-ais.json", import.meta.url)) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GS1 table: ${response.status}`);
  return response.json();
}

/** Whether a scan is read as GS1 only, without looking it up as a barcode, SKU, bin or lot first (the server's looks_like_gs1). */
export function looksLikeGS1(code) {
  return PREFIXES.some((p) => code.startsWith(p)) || code.startsWith("(") || code.includes(GS) || (/^\d+$/.test(code) && code.length > 14);
}

/** The GS1 mod-10 check digit of a string of digits. */
export function checkDigit(payload) {
  let total = 0;
  for (let i = 0; i < payload.length; i++) {
    const digit = Number(payload[payload.length - 1 - i]);
    total += digit * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (total % 10)) % 10);
}

function compile(table) {
  if (!table.__compiled) {
    const compiled = {};
    for (const [ai, spec] of Object.entries(table)) {
      if (ai.startsWith("__")) continue;
      compiled[ai] = { ...spec, full: new RegExp(spec.pattern), start: new RegExp(spec.pattern.replace(/\$$/, "")) };
    }
    Object.defineProperty(table, "__compiled", { value: compiled, enumerable: false });
  }
  return table.__compiled;
}

function aiAt(text, ais) {
  for (const length of [2, 3, 4]) {
    const ai = text.slice(0, length);
    if (ais[ai]) return ai;
  }
  return null;
}

/** The value a pattern matched: its groups together (an AI such as 253 has two). */
const valueOf = (found) => found.slice(1).filter((group) => group !== undefined).join("");

/** A YYMMDD date as YYYY-MM-DD (GS1 General Specifications 7.12: the century within -49..+50 years of today;
 *  day 00 is the last day of the month), or null if it is no date. */
export function gs1Date(value, today = new Date()) {
  const yy = Number(value.slice(0, 2)), mm = Number(value.slice(2, 4));
  let dd = Number(value.slice(4, 6));
  const current = today.getUTCFullYear();
  let year = current - (current % 100) + yy;
  const diff = yy - (current % 100);
  if (diff >= 51) year -= 100;
  else if (diff <= -50) year += 100;
  if (mm < 1 || mm > 12) return null;
  const last = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd === 0) dd = last;
  if (dd > last) return null;
  return `${String(year).padStart(4, "0")}-${String(mm).padStart(2, "0")}-${String(dd).padStart(2, "0")}`;
}

/** Whether the time after a date (HH, MM, SS as far as given; 9999 for "no time") is one, as the server checks it. */
function timeOk(value) {
  const [hour, minute = 0, second = 0] = (value.match(/\d\d/g) || []).map(Number);
  return hour === undefined || (hour === 99 && minute === 99) || (hour < 24 && minute < 60 && second < 60);
}

/** (AI)value pairs of the human-readable form; spaces and separators anywhere are left out, as on paper. */
function splitBracketed(code, ais) {
  const pairs = [];
  for (const [, ai, value] of code.replace(/[\s\x1c-\x1f\x85]/g, "").matchAll(/\((\d+)\)([^(]+)/g)) {
    const found = ais[ai]?.full.exec(ai + value);
    if (!found) return null;
    pairs.push([ai, valueOf(found)]);
  }
  return pairs;
}

/** AI + value pairs of the raw form: a variable-length value runs to a GS, to the end, or to its longest. */
function splitRaw(code, ais) {
  const pairs = [];
  let rest = code.replace(ENDS, "");
  while (rest.length) {
    const ai = aiAt(rest, ais);
    if (!ai) return null;
    const found = ais[ai].start.exec(rest.split(GS, 1)[0]);
    if (!found) return null;
    const value = valueOf(found);
    pairs.push([ai, value]);
    rest = rest.slice(ai.length + value.length).replace(/^\x1d+/, "");
  }
  return pairs;
}

/** The element strings a scan carries (its symbology identifier taken off), or null. */
function split(scan, ais) {
  if (scan.startsWith("(")) return splitBracketed(scan, ais);
  const code = scan.replace(ENDS, "");
  if (!code.startsWith("]")) return splitRaw(code, ais);
  const prefix = code.slice(0, 3);
  if (prefix.length < 3 || GTIN_ONLY.includes(prefix) || !CODE_CHARACTERS.includes(prefix[1])) return null;
  return splitRaw(code.slice(3), ais);
}

/** What a scan means under the GS1 rules, or null when it is not a GS1 element string (then it may be a plain barcode,
 *  a bin code or a SKU). */
export function parseGS1(scan, table, today = new Date()) {
  if (!scan) return null;
  const ais = compile(table);
  const pairs = split(scan, ais);
  if (!pairs || !pairs.length || pairs.some(([, value]) => !value)) return null;  // an empty element is no GS1
  const result = { elements: {}, gtin: null, lot: null, expiry: null, serial: null, qty: null, sscc: null };
  for (const [ai, value] of pairs) {
    const spec = ais[ai];
    let date = null;
    if (spec.date) {
      date = gs1Date(value, today);
      if (date === null || !timeOk(value.slice(6))) return null;
    }
    result.elements[ai] = value;
    if (ai === "01" && checkDigit(value.slice(0, 13)) === value[13]) result.gtin = value;
    else if (ai === "00") result.sscc = value;
    else if (ai === "10") result.lot = value;
    else if (ai === "17") result.expiry = date;
    else if (ai === "21") result.serial = value;
    else if (ai === "30" || ai === "37") result.qty = String(BigInt(value));
  }
  return result;
}
