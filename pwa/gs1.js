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

export async function loadAiTable(url = new URL("./gs1-ais.json", import.meta.url)) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GS1 table: ${response.status}`);
  return response.json();
}

/** Whether a scan should be read as GS1 at all (the server's looks_like_gs1). */
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

function split(code, ais) {
  const pairs = [];
  if (code.startsWith("(")) {
    const re = /\((\d{2,4})\)([^()]*)/y;
    let at = 0;
    while (at < code.length) {
      re.lastIndex = at;
      const found = re.exec(code);
      if (!found) return null;
      const [, ai, value] = found;
      const spec = ais[ai];
      if (!spec || !spec.full.test(ai + value)) return null;
      pairs.push([ai, value]);
      at = re.lastIndex;
    }
    return pairs;
  }
  let rest = code;
  while (rest.length) {
    if (rest.startsWith(GS)) {
      rest = rest.slice(1);
      continue;
    }
    const ai = aiAt(rest, ais);
    if (!ai) return null;
    const found = ais[ai].start.exec(rest);
    if (!found) return null;
    pairs.push([ai, found[1]]);
    rest = rest.slice(found[0].length);
    if (rest.length && !rest.startsWith(GS) && ais[ai].separator) return null;
  }
  return pairs;
}

/** What a scan means under the GS1 rules, or null when it is not a GS1 element string (then it may be a plain barcode,
 *  a bin code or a SKU). */
export function parseGS1(scan, table, today = new Date()) {
  if (!scan || !looksLikeGS1(scan)) return null;
  const ais = compile(table);
  let code = scan;
  const prefix = PREFIXES.find((p) => code.startsWith(p));
  if (prefix) code = code.slice(prefix.length);
  if (code.startsWith(GS)) code = code.slice(1);  // a leading FNC1 some scanners pass on
  const pairs = split(code, ais);
  if (!pairs || !pairs.length) return null;
  const result = { elements: {}, gtin: null, lot: null, expiry: null, serial: null, qty: null, sscc: null };
  for (const [ai, value] of pairs) {
    const spec = ais[ai];
    let date = null;
    if (spec.date) {
      date = gs1Date(value, today);
      if (date === null) return null;
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
