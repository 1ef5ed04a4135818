// Integrations in the back office (administrators): webhooks — where the company's events go, what each endpoint
// receives, its signing secret (shown once), a test event, and its deliveries: waiting, delivered, dead, sent again.

import * as sync from "../sync.js";
import { language, said } from "../i18n.js";
import { h, say, showing } from "../ui.js";
import { back, deskTexts, enc, facts, fail, grid, link, load, may, num, put, recordForm, row, when } from "../desk.js";

const { t } = deskTexts({
  webhooks: ["事件推送", "Webhooks"],
  "webhook list": ["业务事件（单据状态变化、库存移动、收付款……）在发生时推送到这些 HTTPS 地址，每个请求都用该地址的密钥签名。",
    "Business events (documents changing state, stock moving, payments…) are sent to these HTTPS addresses as they happen, each request signed with the webhook's secret."],
  "no webhooks": ["还没有推送地址", "No webhooks yet"],
  "new webhook": ["添加推送地址", "Register a webhook"],
  url: ["接收地址", "Endpoint URL"],
  description: ["说明", "Description"],
  "event types": ["事件类型", "Event types"],
  "all events": ["全部事件", "All events"],
  "all of": ["全部：", "All of: "],
  "choose events": ["请至少选择一种事件", "Choose at least one kind of event"],
  delivered: ["已送达", "Delivered"],
  pending: ["待发送", "Waiting"],
  dead: ["失败", "Dead"],
  "last delivered": ["最近送达", "Last delivered"],
  "last error": ["最近错误", "Last error"],
  paused: ["已暂停", "Paused"],
  running: ["运行中", "Running"],
  secret: ["签名密钥", "Signing secret"],
  "secret once": ["请立即复制并妥善保存此密钥：它只显示这一次。接收端用它验证每个请求的 Cangku-Signature 签名头。",
    "Copy this secret now and keep it safe: it is shown only this once. The receiver checks each request's Cangku-Signature header with it."],
  copy: ["复制", "Copy"],
  copied: ["已复制", "Copied"],
  ping: ["发送测试事件", "Send a test event"],
  "ping sent": ["测试事件已排队，稍后查看投递记录", "Test event queued: see its delivery below"],
  pause: ["暂停", "Pause"],
  resume: ["恢复", "Resume"],
  rotate: ["更换密钥", "Rotate the secret"],
  "rotate sure": ["更换后旧密钥立即失效，接收端需要换用新密钥。继续吗？", "The old secret stops working at once; the receiver must use the new one. Go on?"],
  remove: ["删除", "Delete"],
  "remove sure": ["删除此推送地址 及其全部投递记录？", "Delete this webhook and all its deliveries?"],
  "replay dead": ["重新发送全部失败投递", "Send all dead deliveries again"],
  "replay since": ["重新发送此时刻以来的事件", "Send again everything since"],
  replay: ["重新发送", "Send again"],
  replayed: ["已重新排队", "Queued again"],
  deliveries: ["投递记录", "Deliveries"],
  "no deliveries": ["还没有投递记录", "No deliveries yet"],
  event: ["事件", "Event"],
  about: ["对象", "About"],
  occurred: ["发生时间", "Occurred"],
  attempts: ["尝试次数", "Attempts"],
  answer: ["响应", "Answer"],
  "next attempt": ["下次尝试", "Next attempt"],
  refresh: ["刷新", "Refresh"],
  yes: ["确定", "Yes"],
  created: ["创建时间", "Created"],
  "state pending": ["待发送", "Waiting"],
  "state delivered": ["已送达", "Delivered"],
  "state dead": ["失败", "Dead"],
}, "integrations");

const manage = () => may("integrations.manage");
const hooksPath = "/api/v1/webhooks";

/** Ask yes or no in a modal dialog. */
function sure(question) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "ask", "aria-label": question },
      h("form", { method: "dialog" },
        h("p", {}, question),
        h("div", { class: "actions" },
          h("button", { class: "primary", value: "yes", "data-action": "yes" }, t("yes")),
          h("button", { type: "button", "data-action": "back", onclick: () => dialog.close("") }, t("cancel")))));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** The secret, once: in a box with a copy button, until the person leaves the page. */
function secretBox(secret) {
  const value = h("code", { "data-field": "secret" }, secret);
  const copy = h("button", { type: "button", "data-action": "copy", onclick: async () => {
    try {
      await navigator.clipboard.writeText(secret);
      say("ok", t("copied"));
    } catch {
      getSelection().selectAllChildren(value);  // no clipboard (not a secure context): select it for Ctrl+C
    }
  } }, t("copy"));
  return h("div", { class: "notice secret", role: "alert", id: "webhook-secret" },
    h("h3", {}, t("secret")), h("p", {}, t("secret once")), h("p", {}, value, " ", copy));
}

/** Event types as check boxes: "all events", then each topic folded with an "all of it" box and its types. */
function typePicker(types, chosen = []) {
  const picked = new Set(chosen);
  const topics = new Map();
  for (const type of types) {
    if (!topics.has(type.topic)) topics.set(type.topic, { name: language() === "zh" ? type.topic_zh : type.topic_en, types: [] });
    topics.get(type.topic).types.push(type);
  }
  const box = (value, label, checked) => h("label", { class: "check" },
    h("input", { type: "checkbox", name: "event_type", value, checked }), label);
  return h("fieldset", { class: "event-types", "data-field": "event_types" },
    h("legend", {}, t("event types")),
    box("*", t("all events"), picked.has("*")),
    [...topics.entries()].map(([topic, { name, types: members }]) => h("details", { "data-topic": topic, open: members.some((m) => picked.has(m.type)) },
      h("summary", {}, name),
      box(`${topic}.*`, `${t("all of")}${name}`, picked.has(`${topic}.*`)),
      members.map((m) => box(m.type, `${language() === "zh" ? m.zh : m.en} (${m.type})`, picked.has(m.type))))));
}

const chosenTypes = (form) => [...form.querySelectorAll("input[name=event_type]:checked")].map((input) => input.value);

async function webhooks(here, panel, id) {
  if (id) return webhook(here, panel, id);
  shownSecret = null;
  const answer = await load(here, panel, Promise.all([sync.api(hooksPath), sync.api(`${hooksPath}/event-types`)]));
  if (!answer) return;
  const [{ items }, { items: types }] = answer;
  const picker = typePicker(types);
  const form = recordForm({
    id: "webhook-form", title: t("new webhook"),
    fields: [
      { name: "url", label: t("url"), required: true, maxlength: 2000, spellcheck: "false", autocapitalize: "off", type: "url" },
      { name: "description", label: t("description"), maxlength: 200 },
      picker,
    ],
    submit: async (values, element) => {
      const eventTypes = chosenTypes(element);
      if (!eventTypes.length) throw { body: { error: "invalid", message: t("choose events"), details: { field: "event_types" } } };
      return sync.api(hooksPath, { method: "POST", body: { url: values.url, description: values.description || "", event_types: eventTypes } });
    },
    saved: async (made) => {
      say("ok", `${t("saved")}: ${made.webhook.url}`);
      if (!showing(here)) return;
      location.hash = `#/office/webhooks/${made.webhook.id}`;
      shownSecret = { id: made.webhook.id, secret: made.secret };
    },
  });
  const draw = (hook) => row({ "data-webhook": hook.id }, [
    link("webhooks", hook.id, hook.description || hook.url), { text: hook.url, wrap: true }, hook.event_types.join(", "),
    hook.active ? t("running") : t("paused"), num(String(hook.delivered)), num(String(hook.pending)), num(String(hook.dead)),
    when(hook.last_delivered_at) || "—", { text: hook.last_error || "", wrap: true },
  ]);
  put(panel,
    h("h2", {}, t("webhooks")),
    h("p", { class: "muted" }, t("webhook list")),
    items.length
      ? grid([t("description"), t("url"), t("event types"), t("status"), num(t("delivered")), num(t("pending")), num(t("dead")),
        t("last delivered"), t("last error")], items.map(draw), { id: "webhook-list" })
      : h("p", { class: "muted", id: "webhook-list" }, t("no webhooks")),
    form);
}

// A secret just made or rotated, shown on the webhook's page until the person goes back to the list.
let shownSecret = null;

async function webhook(here, panel, id) {
  const [hook, { items: types }] = await load(here, panel, Promise.all([sync.api(`${hooksPath}/${enc(id)}`),
    sync.api(`${hooksPath}/event-types`)])) || [null, {}];
  if (!hook) return;
  const secret = shownSecret && String(shownSecret.id) === String(hook.id) ? shownSecret.secret : null;
  const again = () => webhook(here, panel, id);
  const act = async (event, run, done) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const answer = await run();
      await done?.(answer);
    } catch (error) {
      fail(error);
    } finally {
      button.disabled = false;
    }
  };
  const button = (action, label, run, attrs = {}) => h("button", { type: "button", "data-action": action, onclick: (event) => run(event), ...attrs }, label);
  const actions = h("div", { class: "actions", "data-field": "actions" },
    button("ping", t("ping"), (event) => act(event, () => sync.api(`${hooksPath}/${hook.id}/ping`, { method: "POST" }), async () => {
      say("ok", t("ping sent"));
      await again();
    }), { class: "primary" }),
    button(hook.active ? "pause" : "resume", hook.active ? t("pause") : t("resume"), (event) => act(event,
      () => sync.api(`${hooksPath}/${hook.id}`, { method: "PATCH", body: { active: !hook.active, version: hook.version } }), again)),
    button("rotate", t("rotate"), async (event) => {
      const clicked = { currentTarget: event.currentTarget };  // gone from the event once the dialog has been answered
      if (!(await sure(t("rotate sure")))) return;
      await act(clicked, () => sync.api(`${hooksPath}/${hook.id}/secret`, { method: "POST" }), async (made) => {
        shownSecret = { id: hook.id, secret: made.secret };
        await again();
      });
    }),
    hook.dead ? button("replay-dead", t("replay dead"), (event) => act(event,
      () => sync.api(`${hooksPath}/${hook.id}/replay`, { method: "POST", body: { dead: true } }), async (answer) => {
        say("ok", `${t("replayed")}: ${answer.replayed}`);
        await again();
      })) : null,
    button("remove", t("remove"), async (event) => {
      const clicked = { currentTarget: event.currentTarget };
      if (!(await sure(t("remove sure")))) return;
      await act(clicked, () => sync.api(`${hooksPath}/${hook.id}`, { method: "DELETE" }), () => { location.hash = "#/office/webhooks"; });
    }));

  const since = h("input", { type: "datetime-local", name: "since", required: true });
  const sinceForm = h("form", { class: "filters", id: "replay-since", onsubmit: async (event) => {
    event.preventDefault();
    await act({ currentTarget: sinceForm.querySelector("button") },
      () => sync.api(`${hooksPath}/${hook.id}/replay`, { method: "POST", body: { since: new Date(since.value).toISOString() } }), async (answer) => {
        say("ok", `${t("replayed")}: ${answer.replayed}`);
        await again();
      });
  } }, h("label", {}, t("replay since"), since), h("button", { type: "submit", "data-action": "replay-since" }, t("replay")));

  const editForm = recordForm({
    id: "webhook-edit", title: t("edit"),
    fields: [
      { name: "url", label: t("url"), required: true, maxlength: 2000, value: hook.url, type: "url", spellcheck: "false" },
      { name: "description", label: t("description"), maxlength: 200, value: hook.description },
      typePicker(types, hook.event_types),
    ],
    submit: (values, element) => sync.api(`${hooksPath}/${hook.id}`, { method: "PATCH",
      body: { url: values.url, description: values.description || "", event_types: chosenTypes(element), version: hook.version } }),
    saved: async () => {
      say("ok", t("saved"));
      await again();
    },
  });

  const status = h("select", { name: "status", "aria-label": t("status"), onchange: () => list() },
    [["", t("all")], ["pending", t("pending")], ["delivered", t("delivered")], ["dead", t("dead")]].map(([v, s]) => h("option", { value: v }, s)));
  const body = h("div", { id: "delivery-list" });
  const list = async () => {
    let page;
    try {
      page = await sync.api(`${hooksPath}/${hook.id}/deliveries`, { params: { limit: 100, ...(status.value ? { status: status.value } : {}) } });
    } catch (error) {
      return put(body, h("p", { class: "muted" }, said(error)));
    }
    put(body, page.items.length ? grid(
      [t("event"), t("about"), t("occurred"), t("status"), num(t("attempts")), t("answer"), t("next attempt"), t("actions")],
      page.items.map((d) => row({ "data-delivery": d.id, "data-status": d.status }, [
        d.type, `${d.aggregate_type} ${d.aggregate_id}`, when(d.occurred_at), t(`state ${d.status}`), num(String(d.attempts)),
        { text: d.last_error || (d.last_status ? `HTTP ${d.last_status}` : "—"), wrap: true }, when(d.next_attempt_at) || "—",
        d.status === "pending" ? "" : h("button", { type: "button", "data-action": "replay", onclick: (event) => act(event,
          () => sync.api(`${hooksPath}/${hook.id}/deliveries/${d.id}/replay`, { method: "POST" }), async () => {
            say("ok", t("replayed"));
            await list();
          }) }, t("replay")),
      ]))) : h("p", { class: "muted" }, t("no deliveries")));
  };

  put(panel,
    back("webhooks"),
    h("h2", {}, hook.description || hook.url),
    secret ? secretBox(secret) : null,
    facts([
      [t("url"), hook.url],
      [t("status"), hook.active ? t("running") : t("paused"), { "data-field": "status" }],
      [t("event types"), hook.event_types.join(", ")],
      [t("delivered"), String(hook.delivered), { "data-field": "delivered" }],
      [t("pending"), String(hook.pending), { "data-field": "pending" }],
      [t("dead"), String(hook.dead), { "data-field": "dead" }],
      [t("last error"), hook.last_error],
      [t("created"), when(hook.created_at)],
    ]),
    actions,
    sinceForm,
    h("h3", {}, t("deliveries")),
    h("div", { class: "filters" }, h("label", {}, t("status"), status),
      h("button", { type: "button", "data-action": "refresh", onclick: () => list() }, t("refresh"))),
    body,
    h("details", {}, h("summary", {}, t("edit")), editForm));
  await list();
  if (secret) panel.querySelector("#webhook-secret")?.focus?.();
}

/** Administration › Webhooks. */
export const sections = {
  webhooks: { draw: webhooks, group: "admin", may: manage, label: () => t("webhooks") },
};
