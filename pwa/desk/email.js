// E-mailing a document from its page: an "E-mail" button that opens a dialog — To (the partner's address on file), Cc,
// Subject, the sender's own message and the language — and sends the same PDF the print button opens
// (POST /api/v1/documents/<kind>/<number>/email); under it, the e-mails already sent of the document: who, to whom,
// when, and whether the mail server took them.

import * as sync from "../sync.js";
import { language, said } from "../i18n.js";
import { h, say } from "../ui.js";
import { deskTexts, enc, grid, may, put, row, showRefusal, when } from "../desk.js";

const { t } = deskTexts({
  email: ["发送邮件", "E-mail"],
  "email title": ["通过电子邮件发送", "Send by e-mail"],
  to: ["收件人", "To"],
  cc: ["抄送", "Cc"],
  subject: ["主题", "Subject"],
  message: ["附言", "Message"],
  language: ["邮件语言", "Language"],
  "language zh": ["中文", "Chinese"],
  "language en": ["英文", "English"],
  send: ["发送", "Send"],
  close: ["取消", "Cancel"],
  "addresses hint": ["多个地址用逗号或分号分隔", "Separate several addresses with commas or semicolons"],
  "on file": ["已登记地址：", "On file:"],
  from: ["发件人：", "From:"],
  "attached pdf": ["将附上与打印相同的 PDF。", "The PDF you would print is attached."],
  "not configured": ["此服务器未设置电子邮件，请联系管理员（CANGKU_SMTP_HOST）。", "E-mail is not set up on this server: ask an administrator (CANGKU_SMTP_HOST)."],
  "sent to": ["已发送给", "Sent to"],
  "not sent": ["未发出", "Not sent"],
  sent: ["已发送", "Sent"],
  "sent by email": ["邮件发送记录", "Sent by e-mail"],
  when: ["时间", "When"],
  who: ["发送人", "Sent by"],
  recipients: ["收件人 / 抄送", "To / Cc"],
  outcome: ["结果", "Outcome"],
  period: ["期间", "Period"],
  loading: ["加载中…", "Loading…"],
}, "email");

// Who may send each kind, and in which states it goes out (as the server decides: server/mail/services.py).
const KINDS = {
  purchase_order: { permission: "prices.read", states: ["approved", "partially_received", "received", "closed"] },
  invoice: { permission: "prices.read", states: ["posted", "partially_paid", "paid"] },
  delivery_note: { permission: "prices.read", states: ["shipped", "invoiced", "closed"] },
  statement: { permission: "finance.read", states: null },
};

/** Addresses as typed in one field: split at commas, semicolons and new lines, but not inside "quotes" or <angle brackets>. */
export function addresses(text) {
  const found = [];
  let current = "";
  let quoted = false;
  let angled = false;
  for (const ch of String(text || "")) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "<" && !quoted) angled = true;
    else if (ch === ">" && !quoted) angled = false;
    if (!quoted && !angled && (ch === "," || ch === ";" || ch === "\n")) {
      found.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  found.push(current);
  return found.map((part) => part.trim()).filter(Boolean);
}

/**
 * The e-mail button of a document's page and the list of what was sent of it: `kind` is purchase_order, invoice,
 * delivery_note (a shipped sales order's) or statement; `number` the document's number (a statement's partner code);
 * `status` the document's (it goes out only in some); `params` what its PDF takes besides (a statement's side, from, to,
 * currency).
 */
export function emailPanel(kind, number, { status = null, params = {} } = {}) {
  const rule = KINDS[kind];
  if (!rule || !may(rule.permission)) return null;
  const path = `/api/v1/documents/${enc(kind)}/${enc(number)}`;
  const query = Object.fromEntries(Object.entries(params).filter(([, value]) => value));
  const sent = h("div", { class: "document-emails", "data-field": "emails" });
  const show = async () => {
    let answer;
    try {
      answer = await sync.api(`${path}/emails`, { params: { limit: 100 } });
    } catch (error) {
      return put(sent, h("p", { class: "muted" }, said(error)));
    }
    put(sent, answer.items.length ? [h("h4", {}, t("sent by email")), grid(
      [t("when"), t("who"), t("recipients"), t("subject"), ...(kind === "statement" ? [t("period")] : []), t("outcome")],
      answer.items.map((e) => row({ "data-email": e.id, "data-outcome": e.outcome }, [
        when(e.sent_at), e.sent_by || "—", { text: [...e.to, ...e.cc].join(", "), wrap: true }, { text: e.subject, wrap: true },
        ...(kind === "statement" ? [`${e.period_from || ""} – ${e.period_to || ""}`] : []),
        { text: e.outcome === "sent" ? [t("sent"), e.error].filter(Boolean).join(" · ") : `${t("not sent")} · ${e.error}`, wrap: true }])),
      { id: "document-emails" })] : null);
  };
  const open = !rule.states || rule.states.includes(status);
  const button = open ? h("button", { type: "button", "data-action": "email", onclick: () => compose(path, query, show) },
    h("span", { "aria-hidden": "true" }, "✉ "), t("email")) : null;
  show();
  return h("div", { class: "email" }, button ? h("p", { class: "actions" }, button) : null, sent);
}

/** The dialog: filled with the e-mail the server proposes, sent as the person leaves it. */
async function compose(path, query, sentAgain) {
  const lang = language() === "zh" ? "zh" : "en";
  let draft;
  try {
    draft = await sync.api(`${path}/email`, { params: { ...query, language: lang } });
  } catch (error) {
    return say("error", said(error));
  }
  const field = (name, label, input, hint = null) => h("label", {}, label, input, hint ? h("small", { class: "muted" }, hint) : null);
  const to = h("input", { name: "to", type: "text", value: draft.to.join(", "), autocomplete: "off" });
  const cc = h("input", { name: "cc", type: "text", value: draft.cc.join(", "), autocomplete: "off" });
  const subject = h("input", { name: "subject", type: "text", value: draft.subject, maxlength: 200, autocomplete: "off" });
  const message = h("textarea", { name: "message", rows: 4, maxlength: 4000 });
  const choice = h("select", { name: "language" }, ["zh", "en"].map((code) =>
    h("option", { value: code, selected: code === draft.language }, t(`language ${code}`))));
  let proposed = draft.subject;
  // Another language: the subject the server proposes in it, unless the person wrote their own.
  choice.addEventListener("change", async () => {
    try {
      const other = await sync.api(`${path}/email`, { params: { ...query, language: choice.value } });
      if (subject.value === proposed) subject.value = other.subject;
      proposed = other.subject;
    } catch {
      // the subject stays as it is
    }
  });
  const onFile = draft.contacts.length ? h("p", { class: "muted", "data-field": "contacts" }, t("on file"), " ",
    draft.contacts.map((c) => h("button", { type: "button", class: "link", "data-address": c.address, onclick: () => {
      const now = addresses(to.value);
      if (!now.includes(c.address)) to.value = [...now, c.address].join(", ");
    } }, c.role ? `${c.address} (${c.role})` : c.address))) : null;
  const problem = h("p", { class: "form-error", role: "alert", tabindex: "-1", "data-field": "form-error", hidden: true });
  const send = h("button", { type: "submit", class: "primary", "data-action": "send", disabled: !draft.configured }, t("send"));
  const form = h("form", { class: "record-form", onsubmit: async (event) => {
    event.preventDefault();
    problem.hidden = true;
    send.disabled = true;
    const body = { to: addresses(to.value), cc: addresses(cc.value), subject: subject.value.trim(), message: message.value, language: choice.value };
    let record;
    try {
      record = await sync.api(`${path}/email`, { method: "POST", body, params: query });
    } catch (error) {
      send.disabled = false;
      if (error?.body?.error === "email_not_sent") sentAgain();  // the failed attempt is on the record too
      return showRefusal(form, problem, error);
    }
    dialog.close();
    say("ok", `${t("sent to")} ${record.to.join(", ")}`);
    await sentAgain();
  } },
  h("h3", {}, t("email title")),
  draft.configured ? h("p", { class: "muted" }, t("from"), " ", draft.sender) : h("p", { class: "form-error", "data-field": "not-configured" }, t("not configured")),
  h("div", { class: "fields" },
    field("to", t("to"), to, t("addresses hint")), onFile, field("cc", t("cc"), cc), field("subject", t("subject"), subject),
    field("language", t("language"), choice), field("message", t("message"), message)),
  h("p", { class: "muted" }, t("attached pdf")),
  problem,
  h("div", { class: "actions" }, send, h("button", { type: "button", "data-action": "back", onclick: () => dialog.close() }, t("close"))));
  const dialog = h("dialog", { class: "ask email-dialog", "aria-label": t("email") }, form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  (draft.to.length ? subject : to).focus();
}
