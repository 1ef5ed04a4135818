// Supplier scores at the desk: the scorecard report's chart, and each candidate supplier's score beside the supplier field
// when a requisition is turned into a purchase order (GET /api/v1/suppliers/scores).

import * as sync from "../sync.js";
import { language } from "../i18n.js";
import { h } from "../ui.js";
import { deskTexts, may, named } from "../desk.js";

const { t } = deskTexts({
  "choice month": ["按月", "By month"],
  "choice quarter": ["按季度", "By quarter"],
  "choice year": ["按年", "By year"],
  "choice range": ["整个期间", "Whole period"],
  "chart scores": ["各供应商各期综合评分（0–100）", "Score by supplier and period (0–100)"],
  "supplier scores": ["供应商近 12 个月评估", "Suppliers over the last 12 months"],
  "supplier scores none": ["还没有供应过这些商品的供应商", "No supplier has supplied these items yet"],
  "choose supplier": ["选用", "Choose"],
  "no record": ["近 12 个月无到货记录", "no deliveries in the last 12 months"],
  "few deliveries": ["到货次数少，仅供参考", "few deliveries: a thin record"],
  "unknown supplier": ["没有这个供应商", "No such supplier"],
}, "reports");

const THIN = 3;  // fewer deliveries than this: the score rests on too little to go by

/** A supplier's record in a line, e.g. "92 · 18 deliveries, 96% on time" (the API's own figures, as it rounds them). */
export function scoreText(s) {
  if (s.score === null) return t("no record");
  const zh = language() === "zh";
  const parts = [zh ? `评分 ${s.score}` : s.score, zh ? `到货 ${s.deliveries} 次` : `${s.deliveries} ${s.deliveries === 1 ? "delivery" : "deliveries"}`];
  const details = [];
  if (s.on_time_pct !== null) details.push(zh ? `准时 ${s.on_time_pct}%` : `${s.on_time_pct}% on time`);
  if (s.reject_pct !== null && s.reject_pct !== "0") details.push(zh ? `不合格 ${s.reject_pct}%` : `${s.reject_pct}% rejected`);
  if (s.price_variance_pct !== null && s.price_variance_pct !== "0") {
    const sign = s.price_variance_pct.startsWith("-") ? "" : "+";
    details.push(zh ? `开票价差 ${sign}${s.price_variance_pct}%` : `billed ${sign}${s.price_variance_pct}% vs order`);
  }
  return `${parts.join(" · ")}${details.length ? (zh ? "，" : ", ") + details.join(zh ? "，" : ", ") : ""}`;
}

const thin = (s) => s.score !== null && s.deliveries < THIN;

/** Beside a form's supplier field: the suppliers of these items with their scores (one click chooses one), and the score of
 *  the supplier typed. Only for those who may see supplier scorecards; the form is returned as it was given. */
export function withSupplierScores(form, skus) {
  if (!may("suppliers.evaluate")) return form;
  const input = form.querySelector("[name=supplier]");
  if (!input) return form;
  const mine = h("small", { class: "muted", "data-field": "supplier-score", "aria-live": "polite" });
  input.closest("label")?.append(mine);
  const box = h("div", { class: "supplier-scores", id: "supplier-scores" });
  form.querySelector(".fields")?.after(box);
  const known = new Map();
  const showTyped = async () => {
    const code = input.value.trim();
    if (!code) return (mine.textContent = "");
    let found = known.get(code);
    if (!found) {
      const answer = await sync.api("/api/v1/suppliers/scores", { params: { supplier: code } }).catch(() => null);
      if (input.value.trim() !== code) return;
      found = answer?.suppliers[0];
      if (found) known.set(code, found);
    }
    mine.textContent = found ? `${scoreText(found)}${thin(found) ? ` (${t("few deliveries")})` : ""}` : t("unknown supplier");
    mine.dataset.score = found?.score ?? "";
  };
  input.addEventListener("change", showTyped);
  const items = [...new Set(skus)];
  sync.api("/api/v1/suppliers/scores", { params: { item: items.join(","), limit: 10 } }).then((answer) => {
    for (const s of answer.suppliers) known.set(s.supplier, s);
    box.append(h("h4", {}, t("supplier scores")), answer.suppliers.length
      ? h("ul", { class: "list" }, answer.suppliers.map((s) => h("li", { "data-supplier": s.supplier, "data-score": s.score ?? "" },
        h("span", { "data-field": "summary" }, h("strong", {}, s.supplier), ` ${named(s)} · `, h("span", { "data-field": "score" }, scoreText(s)),
          thin(s) ? h("span", { class: "muted", "data-field": "thin" }, ` (${t("few deliveries")})`) : null),
        h("button", { type: "button", "data-action": "choose-supplier", "aria-label": `${t("choose supplier")} ${s.supplier}`, onclick: () => {
          input.value = s.supplier;
          input.dispatchEvent(new Event("change"));
          input.focus();
        } }, t("choose supplier")))))
      : h("p", { class: "muted" }, t("supplier scores none")));
    showTyped();
  }).catch(() => showTyped());
  return form;
}

// The scorecard's chart: a row per supplier, a bar per period as tall as its score --------------------------------

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) element.setAttribute(key, value);
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Each supplier's score period by period, drawn in SVG; none when the report has no rows. */
export function scorecardChart(result, width) {
  const rows = result.rows;
  if (!rows.length) return null;
  const suppliers = [...new Set(rows.map((r) => r.supplier))];
  const periods = [...new Set(rows.map((r) => r.period))].sort((a, b) => {
    const start = (p) => rows.find((r) => r.period === p).period_start || p;
    return start(a) < start(b) ? -1 : start(a) > start(b) ? 1 : 0;
  });
  const [left, right, top, band, foot] = [120, 16, 8, 72, 40];
  const height = top + suppliers.length * band + foot;
  const step = (width - left - right) / periods.length;
  const barWidth = Math.min(40, step * 0.6);
  const tall = band - 30;  // a score of 100
  const id = "chart-supplier-scores";
  return h("figure", { class: "chart", id },
    svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-caption` },
      svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: top + suppliers.length * band }),
      suppliers.map((code, i) => {
        const base = top + (i + 1) * band - 6;
        return svg("g", { class: "bar-row", "data-supplier": code },
          svg("text", { class: "tick", x: left - 8, y: base - tall / 2, "text-anchor": "end" }, code),
          svg("line", { class: "axis", x1: left, y1: base, x2: width - right, y2: base }),
          rows.filter((r) => r.supplier === code).map((r) => {
            const x = left + periods.indexOf(r.period) * step + (step - barWidth) / 2;
            const size = r.score === null ? 0 : (Number(r.score) * tall) / 100;  // a position only; every label is the API's text
            const label = r.score ?? "—";
            return svg("g", {},
              svg("rect", { class: "bar", x, y: base - size, width: barWidth, height: size, "data-supplier": code, "data-period": r.period,
                "data-score": r.score ?? "" },
              svg("title", {}, `${code} ${r.period}: ${scoreText({ ...r, price_variance_pct: r.price_variance_pct ?? null })}`)),
              svg("text", { class: "tick", x: x + barWidth / 2, y: base - size - 6, "text-anchor": "middle" }, label));
          }));
      }),
      // Every period named under the axis, or every second or third one where their names would run into each other.
      periods.map((p, i) => (i % Math.ceil((p.length * 8 + 8) / step) ? null
        : svg("text", { class: "tick", x: left + i * step + step / 2, y: height - 14, "text-anchor": "middle" }, p)))),
    h("figcaption", { id: `${id}-caption` }, t("chart scores")));
}
