// Finance in the back office: payments (recorded and allocated to open bills and invoices), the journal, the trial
// balance, the receivables and payables ageing, each figure leading to the documents behind it, and the day's
// exchange rates.

import * as sync from "../sync.js";
import { language } from "../i18n.js";
import { h, say, showing, money, scroller } from "../ui.js";
import {
  amount, back, cell, control, deskTexts, enc, facts, formField, grid, kept, link, load, may, num, pagedList, put, recordForm, row,
  valuesOf, when, history, by, zone,
} from "../desk.js";
import { emailPanel } from "./email.js";

const { t, known } = deskTexts({
  payments: ["收付款", "Payments"],
  journal: ["会计分录", "Journal"],
  "trial-balance": ["试算平衡表", "Trial balance"],
  ageing: ["账龄分析", "Ageing"],
  "record payment": ["登记收付款", "Record a payment"],
  "payment kind": ["收付类型", "Kind"],
  "payment kind customer": ["客户收款", "Received from a customer"],
  "payment kind supplier": ["支付供应商", "Paid to a supplier"],
  partner: ["往来单位", "Partner"],
  "partner code": ["往来单位编码", "Partner code"],
  "paid on": ["收付日期", "Date"],
  "payment amount": ["金额", "Amount"],
  method: ["方式", "Method"],
  "method bank": ["银行转账", "Bank transfer"],
  "method cash": ["现金", "Cash"],
  "method cheque": ["支票", "Cheque"],
  "method other": ["其他", "Other"],
  reference: ["单据", "Document"],
  "payment reference": ["参考号（银行流水号等）", "Reference (bank statement line, …)"],
  unallocated: ["未分配", "Unallocated"],
  allocations: ["核销明细", "Allocations"],
  allocate: ["本次核销", "Allocate"],
  "allocate rest": ["分配余款", "Allocate the rest"],
  "allocate to": ["核销到", "Allocate to"],
  "pay in full": ["全额", "In full"],
  "pay in full of": ["全额核销", "Allocate in full to"],
  "allocated so far": ["已填核销合计", "Allocated in this form"],
  "open documents": ["未结单据", "Open documents"],
  "no open documents": ["该往来单位没有未结单据", "This partner has no open document"],
  "enter partner": ["输入往来单位编码后显示其未结单据", "Enter the partner's code to see its open documents"],
  "show open documents": ["显示未结单据", "Show open documents"],
  document: ["单据", "Document"],
  "doc date": ["单据日期", "Date"],
  "due date": ["到期日", "Due date"],
  "days past due": ["逾期天数", "Days past due"],
  "open amount": ["未结金额", "Open"],
  "date from": ["起始日期", "From"],
  "date to": ["截止日期", "To"],
  amountcol: ["金额", "Amount"],
  entry: ["分录号", "Entry"],
  source: ["来源", "Source"],
  "source type": ["来源类型", "Source type"],
  "source id": ["来源单号", "Source number"],
  "source move": ["库存移动", "Stock move"],
  "source invoice": ["销售发票", "Invoice"],
  "source bill": ["供应商发票", "Bill"],
  "source payment": ["收付款", "Payment"],
  memo: ["摘要", "Memo"],
  account: ["科目", "Account"],
  "account code": ["科目编码", "Account code"],
  "account kind asset": ["资产", "Asset"],
  "account kind liability": ["负债", "Liability"],
  "account kind equity": ["权益", "Equity"],
  "account kind income": ["收入", "Income"],
  "account kind expense": ["费用", "Expense"],
  debit: ["借方", "Debit"],
  credit: ["贷方", "Credit"],
  balance: ["余额（借-贷）", "Balance (debit − credit)"],
  "entry balanced": ["借贷平衡", "Balanced"],
  "entry unbalanced": ["借贷不平", "Not balanced"],
  balanced: ["试算平衡", "The books balance"],
  unbalanced: ["试算不平衡！", "The books do not balance!"],
  "journal lines of": ["科目明细", "Journal lines of"],
  "journal of payment": ["本笔收付款的会计分录", "Journal entries of this payment"],
  show: ["显示", "Show"],
  "as of": ["账龄计算日", "Age as of"],
  "ageing ar": ["应收账龄（客户欠款）", "Receivables (customers owe)"],
  "ageing ap": ["应付账龄（欠供应商）", "Payables (owed to suppliers)"],
  "which ageing": ["账龄类型", "Which"],
  not_due: ["未到期", "Not yet due"],
  d1_30: ["逾期 1–30 天", "1–30 days"],
  d31_60: ["逾期 31–60 天", "31–60 days"],
  d61_90: ["逾期 61–90 天", "61–90 days"],
  over_90: ["逾期 90 天以上", "Over 90 days"],
  total_open: ["未结合计", "Total open"],
  unapplied: ["未核销（预收付、红字）", "Unapplied (advances, credit notes)"],
  "ageing balance": ["余额", "Balance"],
  "documents behind": ["明细单据", "Documents behind"],
  "all buckets": ["全部账龄段", "All ages"],
  "doc kind invoice": ["销售发票", "Invoice"],
  "doc kind credit_note": ["红字发票", "Credit note"],
  "doc kind bill": ["供应商发票", "Bill"],
  "doc kind payment": ["未核销收付款", "Unallocated payment"],
  "doc kind opening": ["期初余额", "Opening balance"],
  "doc kind debit_note": ["红字发票（供应商）", "Debit note"],
  statements: ["对账单", "Statements"],
  "statement of": ["对账对象", "Statement for"],
  "statement customer": ["客户", "A customer"],
  "statement supplier": ["供应商", "A supplier"],
  "period from": ["起始日期", "From"],
  "period to": ["截止日期", "To"],
  "currency optional": ["币种（可选）", "Currency (optional)"],
  "print statement": ["打印对账单", "Print the statement"],
  "download xlsx": ["下载 Excel", "Download Excel"],
  reference: ["参考号", "Reference"],
  "statement charge customer": ["应收增加", "Invoiced"],
  "statement settle customer": ["收款及冲红", "Received and credited"],
  "statement charge supplier": ["应付增加", "Billed"],
  "statement settle supplier": ["付款及冲红", "Paid and debited"],
  "statement balance": ["余额", "Balance"],
  "still open": ["尚未结清", "Still open"],
  "brought forward": ["期初余额", "Brought forward"],
  "carried forward": ["期末余额", "Carried forward"],
  "enter partner": ["请输入往来单位编码后点“显示”。", "Type a partner's code and choose Show."],
  "no rows": ["没有记录", "Nothing to show"],
  today: ["今天", "Today"],
  "exchange-rates": ["汇率", "Exchange rates"],
  "enter rate": ["录入汇率", "Enter a day's rate"],
  "save rate": ["保存汇率", "Save the rate"],
  "rate day": ["生效日期", "From the day"],
  "rate value": ["汇率（1 单位外币折合人民币）", "Rate (yuan per unit)"],
  "rate hint": ["例如 7.1：自该日起适用，直到下一个有汇率的日期", "e.g. 7.1: it holds from that day until the next day with a rate"],
  "rates by finance": ["汇率由财务录入。", "Finance enters the exchange rates."],
  "rates entered": ["已录入的汇率（最近的日期在前）", "Rates entered (the latest day first)"],
  "exchange rate": ["汇率", "Exchange rate"],
  "bank rate": ["银行汇率（可选）", "Bank's rate (optional)"],
  "bank rate hint": ["1 单位外币折合人民币；留空则按收付日的汇率", "Yuan per unit; empty: the rate of the day paid"],
  "amount cny": ["折合人民币", "In yuan"],
  "payment currency": ["收付币种", "Currency of the payment"],
  "currency of documents": ["按所核销单据的币种，无核销时按往来单位的币种", "That of the documents it settles, else the partner's"],
  "open in currency": ["原币余额", "Balance in currency"],
  periods: ["月末结账", "Month-end close"],
  month: ["月份", "Month"],
  "period open": ["未结账", "Open"],
  "period closed": ["已结账", "Closed"],
  "closed by": ["结账人", "Closed by"],
  "closed at": ["结账时间", "Closed at"],
  "reopen reason": ["反结账原因", "Why it was reopened"],
  checklist: ["结账检查", "Close checklist"],
  "check ok": ["通过", "Clear"],
  "check blocking": ["须先处理", "Must be cleared first"],
  "check warning": ["提醒", "Reminder"],
  "close month": ["结账", "Close the month"],
  "month closed": ["已结账", "The month is closed"],
  "month reopened": ["已反结账", "The month is open again"],
  "cannot close yet": ["检查项未全部通过，暂不能结账。", "Not every check is clear: the month cannot be closed yet."],
  "not ended": ["本月尚未结束。", "This month has not ended yet."],
  "reopen month": ["反结账", "Reopen the month"],
  "reopen why": ["原因（必填）", "Reason (required)"],
  "closing is finance": ["由财务结账，总监可反结账。", "Finance closes a month; a director may reopen it."],
}, "finance");

const BUCKETS = ["not_due", "d1_30", "d31_60", "d61_90", "over_90"];
const METHODS = ["bank", "cash", "cheque", "other"];
const SOURCES = ["move", "invoice", "bill", "payment"];
const nameOf = (r) => (language() === "zh" ? r.name_zh || r.name_en : r.name_en || r.name_zh) || "";
// The books are kept in yuan (the API's *_cny figures): a document in it has the rate 1 and nothing to convert.
const YUAN = "CNY";
/** A document's rate as a person reads it: "1 USD = 7.1 CNY". */
const rateText = (currency, rate) => `1 ${currency} = ${rate} ${YUAN}`;

/** A finance document as a link to its page: invoices and bills have theirs, moves and payments are ours. */
function documentLink(type, number) {
  const opening = number.startsWith("OAP-") ? "bills" : "invoices";  // an opening balance: a bill (OAP-…) or an invoice (OAR-…)
  const section = { invoice: "invoices", credit_note: "invoices", bill: "bills", debit_note: "bills", opening, payment: "payments", move: "moves",
    so: "sales-orders" }[type];
  return section ? link(section, number) : number;
}

/** A form kept per screen: its values survive going to a record and coming back. */
function keptForm(key, defaults) {
  const state = kept.get(key) || { values: { ...defaults } };
  kept.set(key, state);
  return state;
}

// Payments ---------------------------------------------------------------------------------------

async function payments(here, panel, number) {
  if (number === "new") return newPayment(here, panel);
  if (number) return payment(here, panel, number);
  put(panel,
    may("payments.write") ? h("p", {}, h("a", { href: "#/office/payments/new", class: "button primary", "data-action": "record-payment" }, t("record payment")))
      : null,
    pagedList(here, {
      key: "payments",
      filters: [{ name: "kind", label: t("payment kind"), options: [["", t("all")], ["customer", t("payment kind customer")], ["supplier", t("payment kind supplier")]] },
        { name: "partner", label: t("partner"), placeholder: t("code") }, { name: "date_from", label: t("date from"), type: "date" },
        { name: "date_to", label: t("date to"), type: "date" }],
      columns: [by("number", t("number")), by("paid_on", t("paid on")), by("kind", t("payment kind")), by("partner", t("partner")),
        by("amount", num(t("payment amount"))), by("unallocated", num(t("unallocated"))), t("currency"), by("method", t("method")),
        by("reference", t("payment reference")), t("allocations")],
      fetchPage: (params) => sync.api("/api/v1/payments", { params }),
      draw: (p) => row({ "data-payment": p.number }, [link("payments", p.number), p.paid_on, known("payment kind", p.kind), link("partners", p.partner),
        amount(p.amount), amount(p.unallocated), p.currency, known("method", p.method), p.reference,
        h("span", {}, p.allocations.flatMap((a, i) => [i ? ", " : "", documentLink(p.kind === "customer" ? "invoice" : "bill", a.document)]))]),
    }));
}

/** Cents of a typed amount, for the running total of what this form allocates (the server checks every figure). */
function cents(text) {
  const match = /^\s*(\d+)(?:\.(\d{0,2}))?\s*$/.exec(text || "");
  return match ? Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0")) : null;
}
const fromCents = (c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`;

/**
 * A partner's open invoices (a customer) or bills (a supplier) with a field each for what to allocate to it, a "pay in
 * full" button, and the running total in `tally`. Drawn into `documents`; false when nothing was drawn. What is open is
 * shown in each document's currency, the one a payment settling it is in (only those in `currency`, when given).
 */
async function openDocuments(here, documents, tally, kind, partner, { currency = null, unit = null } = {}) {
  put(documents, h("p", { class: "muted" }, t("loading")));
  let report;
  try {
    report = await sync.api(`/api/v1/reports/${kind === "customer" ? "ar_ageing" : "ap_ageing"}`,
      { params: { group_by: "document", partner, format: "json" } });
  } catch (error) {
    if (showing(here)) put(documents, h("p", { class: "form-error" }, error.body?.message || String(error.message || error)));
    return false;
  }
  if (!showing(here)) return false;
  const open = report.rows.filter((r) => (r.kind === "invoice" || r.kind === "bill") && (!currency || r.currency === currency));
  if (!open.length) {
    put(documents, h("p", { class: "muted", "data-field": "no-open" }, t("no open documents")));
    return true;
  }
  put(documents, h("h4", {}, t("open documents")), grid(
    [t("document"), t("doc date"), t("due date"), num(t("days past due")), num(t("open amount")), t("currency"), t("allocate"), ""],
    open.map((r) => {
      const input = h("input", { type: "text", inputmode: "decimal", name: `allocate:${r.document}`, autocomplete: "off", size: 10,
        "aria-label": `${t("allocate to")} ${r.document}`, "data-open": String(r.open_currency), "data-currency": r.currency });
      return row({ "data-document": r.document, "data-currency": r.currency }, [documentLink(r.kind, r.document), r.date, r.due_date,
        num(String(r.days_past_due ?? "")), amount(String(r.open_currency)), r.currency, input,
        h("button", { type: "button", "data-action": "in-full", "aria-label": `${t("pay in full of")} ${r.document}`, onclick: () => {
          input.value = String(r.open_currency);
          input.dispatchEvent(new Event("input", { bubbles: true }));
        } }, t("pay in full"))]);
    }), { id: "allocation-table" }),
  h("p", {}, `${t("allocated so far")}: `, tally, unit ? [" ", unit] : null));
  return true;
}

/** What a form's allocation fields say, for the API; and their running total into `tally` as they are typed. */
const allocationsOf = (values) => Object.entries(values).filter(([key, value]) => key.startsWith("allocate:") && value)
  .map(([key, value]) => ({ document: key.slice("allocate:".length), amount: value }));

function tallyAllocations(form, tally) {
  form.addEventListener("input", (event) => {
    if (!event.target.name?.startsWith("allocate:")) return;
    const typed = [...form.querySelectorAll("input[name^='allocate:']")].map((input) => cents(input.value)).filter((c) => c !== null);
    tally.textContent = money(fromCents(typed.reduce((a, b) => a + b, 0)));
  });
}

async function newPayment(here, panel) {
  const documents = h("div", { id: "open-documents", "aria-live": "polite" }, h("p", { class: "muted" }, t("enter partner")));
  const tally = h("output", { "data-field": "allocated" }, "0.00");
  const unit = h("span", { "data-field": "allocated-currency" });
  // The payment's currency as the server takes it: that of the first document it settles, else the partner's. The
  // bank's rate is asked for only when that is not yuan (a payment in yuan has the rate 1).
  const currency = h("output", { "data-field": "payment-currency" }, "—");
  const rate = formField({ name: "exchange_rate", label: t("bank rate"), inputmode: "decimal", hint: t("bank rate hint"), size: 12 });
  let partnerCurrency = "";
  const showCurrency = (form) => {
    const settled = [...form.querySelectorAll("input[name^='allocate:']")].find((input) => input.value.trim());
    const code = settled?.dataset.currency || partnerCurrency;
    currency.textContent = code || "—";
    unit.textContent = code;
    rate.hidden = !code || code === YUAN;
    form.elements.exchange_rate.disabled = rate.hidden;  // not sent while hidden
  };
  let shownFor = "";
  const showDocuments = async (form) => {
    const kind = form.elements.kind.value;
    const partner = form.elements.partner.value.trim();
    if (`${kind}:${partner}` === shownFor) return;
    shownFor = `${kind}:${partner}`;
    partnerCurrency = "";
    showCurrency(form);
    if (!partner) return put(documents, h("p", { class: "muted" }, t("enter partner")));
    const [drawn, found] = await Promise.all([openDocuments(here, documents, tally, kind, partner, { unit }),
      sync.api(`/api/v1/partners/${enc(partner)}`).catch(() => null)]);
    if (shownFor !== `${kind}:${partner}`) return;  // another partner was typed meanwhile
    partnerCurrency = found?.currency || "";
    showCurrency(form);
    if (!drawn) shownFor = "";
  };
  const form = recordForm({
    id: "payment-form",
    title: t("record payment"),
    label: t("record payment"),
    fields: [
      formField({ name: "kind", label: t("payment kind"), options: [["customer", t("payment kind customer")], ["supplier", t("payment kind supplier")]],
        value: "customer" }),
      formField({ name: "partner", label: t("partner code"), required: true }),
      formField({ name: "amount", label: t("payment amount"), inputmode: "decimal", required: true }),
      rate,
      formField({ name: "paid_on", label: t("paid on"), type: "date" }),
      formField({ name: "method", label: t("method"), options: METHODS.map((m) => [m, t(`method ${m}`)]), value: "bank" }),
      formField({ name: "reference", label: t("payment reference") }),
      h("p", {}, `${t("payment currency")}: `, currency, " ", h("small", { class: "muted" }, `(${t("currency of documents")})`)),
      documents,
    ],
    submit: (values) => sync.api("/api/v1/payments", { method: "POST", body: {
      kind: values.kind, partner: values.partner, amount: values.amount, ...(values.paid_on ? { paid_on: values.paid_on } : {}),
      ...(values.exchange_rate ? { exchange_rate: values.exchange_rate } : {}),
      method: values.method, reference: values.reference || "", allocations: allocationsOf(values),
    } }),
    saved: (p) => {
      say("ok", `${t("saved")}: ${p.number}`);
      location.hash = `#/office/payments/${enc(p.number)}`;
    },
    cancel: () => { location.hash = "#/office/payments"; },
  });
  // Its open documents show once the partner is typed; what is allocated adds up as it is typed.
  const partnerField = form.elements.partner;
  partnerField.after(h("button", { type: "button", "data-action": "show-open", onclick: () => showDocuments(form) }, t("show open documents")));
  partnerField.addEventListener("change", () => showDocuments(form));
  form.elements.kind.addEventListener("change", () => showDocuments(form));
  tallyAllocations(form, tally);
  form.addEventListener("input", (event) => { if (event.target.name?.startsWith("allocate:")) showCurrency(form); });
  showCurrency(form);
  put(panel, back("payments"), form);
  form.elements.kind.focus();
}

async function payment(here, panel, number) {
  const p = await load(here, panel, sync.api(`/api/v1/payments/${enc(number)}`));
  if (!p) return;
  const docType = p.kind === "customer" ? "invoice" : "bill";
  const journal = h("div", { id: "payment-journal" });
  const allocating = h("div", { id: "allocate-rest" });
  const allocateRest = async () => {
    const documents = h("div", { id: "open-documents", "aria-live": "polite" });
    const tally = h("output", { "data-field": "allocated" }, "0.00");
    const unit = h("span", { "data-field": "allocated-currency" }, p.currency);
    const form = recordForm({
      id: "allocate-form",
      title: `${t("allocate rest")} · ${money(p.unallocated)} ${p.currency}`,
      label: t("allocate"),
      fields: [documents],
      submit: (values) => sync.api(`/api/v1/payments/${enc(p.number)}/allocate`, { method: "POST", body: { allocations: allocationsOf(values) } }),
      saved: async () => {
        say("ok", `${p.number} · ${t("saved")}`);
        await payment(here, panel, number);
      },
      cancel: () => put(allocating),
    });
    tallyAllocations(form, tally);
    put(allocating, form);
    // A payment settles documents in its own currency only: the others are not offered.
    if (await openDocuments(here, documents, tally, p.kind, p.partner, { currency: p.currency, unit })) {
      form.querySelector("input[name^='allocate:']")?.focus();
    }
  };
  put(panel,
    back("payments"),
    h("h3", { tabindex: "-1" }, `${p.number} · ${p.partner}`),
    facts([[t("payment kind"), known("payment kind", p.kind)], [t("partner"), link("partners", p.partner)],
      [t("payment amount"), money(p.amount), { "data-field": "amount" }], [t("unallocated"), money(p.unallocated), { "data-field": "unallocated" }],
      [t("currency"), p.currency, { "data-field": "currency" }],
      p.currency !== YUAN ? [t("exchange rate"), rateText(p.currency, p.exchange_rate), { "data-field": "exchange-rate" }] : null,
      p.currency !== YUAN ? [t("amount cny"), `${money(p.amount_cny)} ${YUAN}`, { "data-field": "amount-cny" }] : null,
      [t("paid on"), p.paid_on], [t("method"), known("method", p.method)], [t("payment reference"), p.reference], [t("created"), when(p.created_at)]]),
    h("h4", {}, t("allocations")),
    p.allocations.length ? grid([t("document"), num(t("amountcol"))],
      p.allocations.map((a) => row({ "data-document": a.document }, [documentLink(docType, a.document), amount(a.amount)])), { id: "payment-allocations" })
      : h("p", { class: "muted" }, t("no rows")),
    Number(p.unallocated) > 0 && may("payments.write")
      ? h("p", {}, h("button", { type: "button", class: "primary", "data-action": "allocate-rest", onclick: allocateRest }, t("allocate rest"))) : null,
    allocating,
    h("h4", {}, t("journal of payment")),
    journal,
    history("payment", p.number));
  const entries = await load(here, journal, sync.api("/api/v1/finance/journal", { params: { source_type: "payment", source_id: p.number } }));
  if (entries) put(journal, entriesTable(entries));
}

// Journal ----------------------------------------------------------------------------------------

/** Journal entries, each with its lines and its debit and credit totals as the server added them. */
function entriesTable(entries, account) {
  const body = entries.flatMap((e) => [
    h("tr", { class: "entry", "data-entry": e.id },
      cell("th", String(e.id), { scope: "row" }), cell("td", when(e.at)),
      cell("td", h("span", {}, `${known("source", e.source_type)} `, documentLink(e.source_type, e.source_id))), cell("td", { text: e.memo, wrap: true }),
      cell("td", num(money(e.debit))), cell("td", num(money(e.credit))),
      cell("td", e.debit === e.credit ? t("entry balanced") : t("entry unbalanced"), { "data-field": "balanced" })),
    ...e.lines.map((l) => h("tr", { "data-entry-line": e.id, "data-account": l.account, class: l.account === account ? "match" : null },
      cell("td", ""), cell("td", account === l.account ? h("strong", {}, `${l.account} ${nameOf(l)}`) : `${l.account} ${nameOf(l)}`),
      cell("td", ""), cell("td", ""), cell("td", l.debit === "0" ? num("") : amount(l.debit)), cell("td", l.credit === "0" ? num("") : amount(l.credit)),
      cell("td", ""))),
  ]);
  return scroller(h("table", { id: "journal-table" },
    h("thead", {}, h("tr", {}, [t("entry"), t("at"), t("source"), t("memo"), num(t("debit")), num(t("credit")), ""].map((c) => cell("th", c, { scope: "col" })))),
    h("tbody", {}, body)));
}

async function journal(here, panel) {
  const state = keptForm("journal", {});
  const result = h("div", { id: "journal-result" });
  const pager = h("nav", { class: "pager", "aria-label": t("pages") });
  const size = 50;
  state.offset ??= 0;
  let ticket = 0;
  const show = async () => {
    const mine = ++ticket;
    result.setAttribute("aria-busy", "true");
    const page = await load(here, result, sync.api("/api/v1/finance/journal-entries", { params: { ...state.values, limit: size, offset: state.offset } }));
    if (mine !== ticket) return;
    result.removeAttribute("aria-busy");
    if (!page) return;
    put(result, state.values.account ? h("p", { "data-field": "account-filter" }, `${t("journal lines of")} ${state.values.account}`) : null,
      page.items.length ? entriesTable(page.items, state.values.account) : h("p", { class: "muted" }, t("nothing found")));
    put(pager, page.total > size ? [
      h("button", { type: "button", disabled: state.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - size); show(); } }, t("previous")),
      h("span", { class: "muted", "data-field": "range" }, `${state.offset + 1}–${state.offset + page.items.length} / ${page.total}`),
      h("button", { type: "button", disabled: state.offset + size >= page.total, onclick: () => { state.offset += size; show(); } }, t("next"))] : []);
  };
  const v = state.values;
  const form = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    state.values = valuesOf(event.currentTarget);
    state.offset = 0;
    show();
  } },
  control({ name: "date_from", label: t("date from"), type: "date", value: v.date_from }),
  control({ name: "date_to", label: t("date to"), type: "date", value: v.date_to }),
  control({ name: "account", label: t("account"), placeholder: t("account code"), value: v.account }),
  control({ name: "source_type", label: t("source type"), options: [["", t("all")], ...SOURCES.map((s) => [s, t(`source ${s}`)])], value: v.source_type }),
  control({ name: "source_id", label: t("source id"), value: v.source_id }),
  h("button", { type: "submit", class: "primary" }, t("find")));
  put(panel, form, result, pager);
  await show();
}

// Trial balance ----------------------------------------------------------------------------------

async function trialBalance(here, panel) {
  const state = keptForm("trial-balance", {});
  const result = h("div", { id: "trial-balance" });
  const show = async () => {
    result.setAttribute("aria-busy", "true");
    const tb = await load(here, result, sync.api("/api/v1/finance/trial-balance", { params: state.values }));
    result.removeAttribute("aria-busy");
    if (!tb) return;
    const drill = (code) => h("a", { href: "#/office/journal", "data-account": code, onclick: (event) => {
      event.preventDefault();
      kept.set("journal", { values: { ...state.values, account: code }, offset: 0 });
      location.hash = "#/office/journal";
    } }, code);
    put(result,
      h("p", { "data-field": "balanced", class: tb.balanced ? null : "form-error" }, tb.balanced ? t("balanced") : t("unbalanced")),
      scroller(h("table", { id: "trial-balance-table" },
        h("thead", {}, h("tr", {}, [t("account"), t("name"), t("kind"), num(t("debit")), num(t("credit")), num(t("balance"))].map((c) => cell("th", c, { scope: "col" })))),
        h("tbody", {}, tb.lines.map((l) => row({ "data-account": l.code }, [drill(l.code), nameOf(l), known("account kind", l.kind), amount(l.debit), amount(l.credit),
          amount(l.balance)]))),
        h("tfoot", {}, h("tr", { "data-field": "totals" }, cell("th", t("total"), { scope: "row" }), cell("td", ""), cell("td", ""),
          cell("td", amount(tb.total_debit), { "data-field": "total-debit" }), cell("td", amount(tb.total_credit), { "data-field": "total-credit" }), cell("td", ""))))));
  };
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    state.values = valuesOf(event.currentTarget);
    show();
  } },
  control({ name: "date_from", label: t("date from"), type: "date", value: state.values.date_from }),
  control({ name: "date_to", label: t("date to"), type: "date", value: state.values.date_to }),
  h("button", { type: "submit", class: "primary" }, t("show")));
  put(panel, form, result);
  await show();
}

// Ageing -----------------------------------------------------------------------------------------

const REPORT = { ar: "ar_ageing", ap: "ap_ageing" };

/** #/office/ageing[/<ar|ap>/<partner>[/<bucket>]]: by partner and bucket, or the documents behind one figure. */
async function ageing(here, panel, which, partner, bucket) {
  const state = keptForm("ageing", { which: "ar" });
  if (which && partner) return ageingDocuments(here, panel, which, partner, bucket, state);
  const result = h("div", { id: "ageing" });
  const show = async () => {
    const { which: side = "ar", ...params } = state.values;
    result.setAttribute("aria-busy", "true");
    const report = await load(here, result, sync.api(`/api/v1/reports/${REPORT[side] || REPORT.ar}`, { params: { ...params, group_by: "partner", format: "json" } }));
    result.removeAttribute("aria-busy");
    if (!report) return;
    const figure = (r, key) => {
      const value = String(r[key]);
      if (!Number(value)) return amount(value);
      const href = `#/office/ageing/${side}/${enc(r.partner)}${BUCKETS.includes(key) ? `/${key}` : ""}`;
      return num(h("a", { href, "data-bucket": key, "aria-label": `${r.partner} ${t(key === "balance" ? "ageing balance" : key)} ${money(value)}` }, money(value)));
    };
    // Figures in yuan, as the books hold them; a partner with documents in two currencies has a row for each, which
    // also says what is open in that currency.
    put(result, report.rows.length ? scroller(h("table", { id: "ageing-table", "data-which": side },
      h("thead", {}, h("tr", {}, [t("partner"), t("name"), t("currency"), ...BUCKETS.map((b) => num(t(b))), num(t("total_open")), num(t("unapplied")),
        num(t("ageing balance")), num(t("open in currency"))].map((c) => cell("th", c, { scope: "col" })))),
      h("tbody", {}, report.rows.map((r) => row({ "data-partner": r.partner, "data-currency": r.currency }, [link("partners", r.partner),
        language() === "zh" ? r.partner_name_zh : r.partner_name_en, r.currency, ...BUCKETS.map((b) => figure(r, b)), figure(r, "total_open"),
        amount(String(r.unapplied)), figure(r, "balance"), amount(String(r.open_currency))]))),
      h("tfoot", {}, h("tr", { "data-field": "totals" }, cell("th", t("total"), { scope: "row" }), cell("td", ""), cell("td", YUAN),
        ...[...BUCKETS, "total_open", "unapplied", "balance"].map((k) => cell("td", amount(String(report.totals[k] ?? "0")), { "data-key": k })),
        cell("td", "")))))
      : h("p", { class: "muted" }, t("no rows")));
  };
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    state.values = valuesOf(event.currentTarget);
    show();
  } },
  control({ name: "which", label: t("which ageing"), options: [["ar", t("ageing ar")], ["ap", t("ageing ap")]], value: state.values.which }),
  control({ name: "as_of", label: t("as of"), type: "date", value: state.values.as_of }),
  control({ name: "partner", label: t("partner"), placeholder: t("code"), value: state.values.partner }),
  h("button", { type: "submit", class: "primary" }, t("show")));
  form.elements.which.addEventListener("change", () => form.requestSubmit());
  put(panel, form, result);
  await show();
}

async function ageingDocuments(here, panel, which, partner, bucket, state) {
  const asOf = state.values.as_of;
  const report = await load(here, panel, sync.api(`/api/v1/reports/${REPORT[which] || REPORT.ar}`,
    { params: { group_by: "document", partner, format: "json", ...(asOf ? { as_of: asOf } : {}) } }));
  if (!report) return;
  // One bucket's figure is made of the documents with an amount in that bucket; every document is shown otherwise.
  const rows = BUCKETS.includes(bucket) ? report.rows.filter((r) => Number(r[bucket])) : report.rows;
  put(panel,
    h("p", {}, h("a", { href: "#/office/ageing", class: "back" }, `← ${t("back")}`)),
    h("h3", { tabindex: "-1" }, `${t(which === "ap" ? "ageing ap" : "ageing ar")} · ${partner} · ${BUCKETS.includes(bucket) ? t(bucket) : t("all buckets")}`),
    facts([[t("partner"), link("partners", partner)], [t("as of"), asOf || report.params.as_of || t("today")]]),
    h("h4", {}, t("documents behind")),
    rows.length ? grid([t("document"), t("kind"), t("doc date"), t("due date"), num(t("days past due")), num(BUCKETS.includes(bucket) ? t(bucket) : t("open amount")),
      num(t("unapplied")), num(t("ageing balance")), t("currency"), num(t("open in currency"))],
    rows.map((r) => row({ "data-document": r.document, "data-currency": r.currency }, [documentLink(r.kind, r.document), known("doc kind", r.kind), r.date,
      r.due_date || "", num(r.days_past_due === null || r.days_past_due === undefined ? "" : String(r.days_past_due)),
      amount(String(BUCKETS.includes(bucket) ? r[bucket] : r.total_open)), amount(String(r.unapplied)), amount(String(r.balance)), r.currency,
      amount(String(r.open_currency))])), { id: "ageing-documents" })
      : h("p", { class: "muted" }, t("no rows")));
}

// Statements -------------------------------------------------------------------------------------

/** #/office/statements: a customer's or supplier's statement (对账单) for a period — brought forward, each document with
 *  the running balance and what is still open on it, carried forward — to print and send for confirmation. */
async function statements(here, panel) {
  const state = keptForm("statements", { side: "customer" });
  const result = h("div", { id: "statement" });
  const show = async () => {
    const { side = "customer", partner, ...rest } = state.values;
    if (!partner) return put(result, h("p", { class: "muted" }, t("enter partner")));
    const params = Object.fromEntries(Object.entries(rest).filter(([, value]) => value));
    const path = `/api/v1/reports/${side}_statement`;
    result.setAttribute("aria-busy", "true");
    const report = await load(here, result, sync.api(path, { params: { ...params, partner, format: "json" } }));
    result.removeAttribute("aria-busy");
    if (!report) return;
    const printed = new URLSearchParams({ side, ...params, lang: language() === "zh" ? "zh" : "en" });
    const download = new URLSearchParams({ ...params, partner, format: "xlsx", lang: language() === "zh" ? "zh" : "en" });
    const [first, last] = [report.rows[0], report.rows[report.rows.length - 1]];
    put(result,
      h("p", { class: "actions print" },
        h("a", { href: `/api/v1/partners/${enc(partner)}/statement.pdf?${printed}`, target: "_blank", rel: "noopener", class: "button", "data-action": "print" },
          t("print statement")),
        " ",
        h("a", { href: `${path}?${download}`, class: "button", "data-action": "download" }, t("download xlsx"))),
      emailPanel("statement", partner, { params: { side, ...params } }),
      facts([[t("partner"), link("partners", partner)], [t("period from"), first.date], [t("period to"), last.date], [t("currency"), first.currency],
        [t("brought forward"), money(first.balance), { "data-field": "brought-forward" }],
        [t("carried forward"), money(last.balance), { "data-field": "carried-forward" }]]),
      grid([t("doc date"), t("document"), t("kind"), t("reference"), t("due date"), num(t(`statement charge ${side}`)), num(t(`statement settle ${side}`)),
        num(t("statement balance")), num(t("still open"))],
      report.rows.map((r, i) => {
        const edge = i === 0 || i === report.rows.length - 1;
        return row({ "data-document": edge ? null : r.document, class: edge ? "subtotal" : null }, [r.date,
          edge ? t(i === 0 ? "brought forward" : "carried forward") : documentLink(r.kind, r.document), edge ? "" : known("doc kind", r.kind),
          r.reference || "", r.due_date || "", amount(r.charge, ""), amount(r.settle, ""), amount(String(r.balance)), amount(r.open, "")]);
      }), { id: "statement-lines" }));
  };
  const form = h("form", { class: "filters", id: "statement-form", onsubmit: (event) => {
    event.preventDefault();
    state.values = valuesOf(event.currentTarget);
    show();
  } },
  control({ name: "side", label: t("statement of"), options: [["customer", t("statement customer")], ["supplier", t("statement supplier")]],
    value: state.values.side }),
  control({ name: "partner", label: t("partner code"), placeholder: t("code"), value: state.values.partner }),
  control({ name: "from", label: t("period from"), type: "date", value: state.values.from }),
  control({ name: "to", label: t("period to"), type: "date", value: state.values.to }),
  control({ name: "currency", label: t("currency optional"), placeholder: "CNY", value: state.values.currency }),
  h("button", { type: "submit", class: "primary" }, t("show")));
  put(panel, form, result);
  await show();
}

// Exchange rates ---------------------------------------------------------------------------------

/** Today in the company's time zone, as a date field takes it: the day a rate entered now is for. */
const today = () => new Intl.DateTimeFormat("sv-SE", { timeZone: zone() }).format(new Date());

/** #/office/exchange-rates: the rates entered, the latest day first, and for finance a form to enter a day's rate. */
async function exchangeRates(here, panel) {
  const currencies = await load(here, panel, sync.api("/api/v1/currencies"));
  if (!currencies) return;
  const foreign = currencies.filter((c) => !c.company);
  const shown = (code) => {
    const found = currencies.find((c) => c.code === code);
    return found ? `${code} · ${nameOf(found)}` : code;
  };
  const state = keptForm("exchange-rate", { currency: foreign[0]?.code || "" });
  const draw = () => {
    const form = may("finance.rates") ? recordForm({
      id: "rate-form",
      title: t("enter rate"),
      label: t("save rate"),
      fields: [
        { name: "currency", label: t("currency"), options: foreign.map((c) => [c.code, shown(c.code)]), value: state.values.currency, required: true },
        { name: "on", label: t("rate day"), type: "date", value: today(), required: true },
        { name: "rate", label: t("rate value"), inputmode: "decimal", required: true, size: 12, hint: t("rate hint") },
      ],
      submit: (values) => sync.api("/api/v1/exchange-rates", { method: "PUT", body: { currency: values.currency, on: values.on, rate: values.rate } }),
      saved: (r) => {
        say("ok", `${rateText(r.currency, r.rate)} · ${r.on} · ${t("saved")}`);
        state.values.currency = r.currency;
        if (!showing(here)) return;
        draw();
        panel.querySelector("#rate-form [name=rate]")?.focus();
      },
    }) : h("p", { class: "muted", "data-field": "rates-by-finance" }, t("rates by finance"));
    put(panel, form, h("h4", {}, t("rates entered")), pagedList(here, {
      key: "exchange-rates",
      filters: [{ name: "currency", label: t("currency"), options: [["", t("all")], ...foreign.map((c) => [c.code, shown(c.code)])] }],
      columns: [t("currency"), t("rate day"), num(t("rate value"))],
      fetchPage: (params) => sync.api("/api/v1/exchange-rates", { params }),
      draw: (r) => row({ "data-currency": r.currency, "data-on": r.on }, [shown(r.currency), r.on, num(r.rate)]),
    }));
  };
  draw();
}

/** #/office/periods: the last twelve months, open or closed; #/office/periods/YYYY-MM: a month's checklist, its close and reopening. */
async function periods(here, panel, month) {
  if (month) return period(here, panel, month);
  const months = await load(here, panel, sync.api("/api/v1/periods"));
  if (!months) return;
  put(panel, h("p", { class: "muted" }, t("closing is finance")), grid([t("month"), t("status"), t("closed by"), t("closed at"), t("reopen reason")],
    months.map((p) => row({ "data-month": p.month }, [link("periods", p.month), p.closed ? t("period closed") : t("period open"), p.closed_by || "",
      p.closed_at ? when(p.closed_at) : "", p.reopen_reason]))));
}

async function period(here, panel, month) {
  const list = await load(here, panel, sync.api(`/api/v1/periods/${enc(month)}/checklist`));
  if (!list) return;
  const thisMonth = today().slice(0, 7);
  const redraw = () => { if (showing(here)) period(here, panel, month); };
  const mark = (item) => (item.ok ? t("check ok") : `${item.blocking ? t("check blocking") : t("check warning")} · ${item.count}`);
  const items = grid([t("checklist"), t("status"), t("document")], list.items.map((item) => row(
    { "data-check": item.code, class: item.ok ? "" : item.blocking ? "form-error" : "muted" },
    [language() === "zh" ? item.message_zh : item.message_en, mark(item), item.documents.join(", ")],
  )));
  const closing = !list.closed && may("periods.close") && list.can_close && month < thisMonth ? recordForm({
    id: "close-form",
    title: `${t("close month")} · ${month}`,
    label: t("close month"),
    fields: [],
    submit: () => sync.api(`/api/v1/periods/${enc(month)}/close`, { method: "POST", body: {} }),
    saved: () => { say("ok", `${month} · ${t("month closed")}`); redraw(); },
  }) : !list.closed ? h("p", { class: "muted", "data-field": "why-not" }, month >= thisMonth ? t("not ended") : list.can_close ? "" : t("cannot close yet")) : null;
  const reopening = list.closed && may("periods.reopen") ? recordForm({
    id: "reopen-form",
    title: `${t("reopen month")} · ${month}`,
    label: t("reopen month"),
    fields: [{ name: "reason", label: t("reopen why"), required: true, maxlength: 500 }],
    submit: (values) => sync.api(`/api/v1/periods/${enc(month)}/reopen`, { method: "POST", body: { reason: values.reason } }),
    saved: () => { say("ok", `${month} · ${t("month reopened")}`); redraw(); },
  }) : null;
  put(panel, back("periods"), h("h3", { tabindex: "-1" }, `${month} · ${list.closed ? t("period closed") : t("period open")}`),
    h("div", { "data-field": "period-state", hidden: true }, list.closed ? "closed" : "open"), items, closing, reopening);
}

const reads = () => may("finance.read");

/** The finance sections of the back office. */
export const sections = {
  payments: { draw: payments, group: "finance", may: reads, label: () => t("payments") },
  journal: { draw: journal, group: "finance", may: reads, label: () => t("journal") },
  "trial-balance": { draw: trialBalance, group: "finance", may: reads, label: () => t("trial-balance") },
  ageing: { draw: ageing, group: "finance", may: reads, label: () => t("ageing") },
  statements: { draw: statements, group: "finance", may: reads, label: () => t("statements") },
  // Read by whoever deals in money (a buyer ordering in dollars asks what the rate is); entered by finance.
  "exchange-rates": { draw: exchangeRates, group: "finance", may: () => reads() || may("prices.read") || may("finance.rates"),
    label: () => t("exchange-rates") },
  periods: { draw: periods, group: "finance", may: reads, label: () => t("periods") },
};
