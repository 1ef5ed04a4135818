// Approval rules in the back office (administrators): for purchase orders, requisitions and transfer orders, which roles
// approve a document, in order, by its amount, an item category on its lines and its warehouse — the first rule that
// matches decides, none matching: no approval. Also the approval trail shown on a requisition's or transfer's page.

import * as sync from "../sync.js";
import { said } from "../i18n.js";
import { h, say, showing } from "../ui.js";
import { deskTexts, fail, grid, known, load, may, named, num, put, row, when } from "../desk.js";

const { t } = deskTexts({
  "approval-rules": ["审批规则", "Approval rules"],
  "rules intro": ["每类单据的规则按顺序逐条比对：第一条符合的规则决定由哪些角色依次审批；没有符合的规则，单据无需审批直接生效。"
    + "金额区间为“大于下限、不超过上限”；填了商品分类的规则只管有该分类商品的单据，填了仓库的只管该仓库的单据（调拨单看调出和调入两个仓库）。",
  "Each kind of document's rules are tried in order: the first one a document matches says which roles approve it, one after "
    + "another; a document no rule matches needs no approval. A band is “above” its lower amount, “up to” its upper one; a rule "
    + "with a category is for documents with an item of it on a line, one with a warehouse for that warehouse's documents (a "
    + "transfer order is of the warehouse it leaves and of the one it goes to)."],
  "kind purchase_order": ["采购订单", "Purchase orders"],
  "kind requisition": ["请购单", "Requisitions"],
  "kind transfer_order": ["调拨单", "Transfer orders"],
  "amount purchase_order": ["按订单含税总额（人民币）", "By the order's total with VAT, in yuan"],
  "amount requisition": ["按估算金额：各商品最近采购价（未采购过的按平均成本）× 数量。采购员提交的请购单无需审批（由采购订单审批）。",
    "By its estimated value: each item at its last purchase price (never bought: its average cost) × quantity. A purchaser's "
      + "requisitions need none (their purchase orders are approved)."],
  "amount transfer_order": ["按调拨商品的平均成本金额（人民币）", "By the goods' value at average cost, in yuan"],
  order: ["顺序", "Order"],
  above: ["金额大于", "Above"],
  "up to": ["不超过", "Up to"],
  "no limit": ["不限", "No limit"],
  category: ["商品分类", "Category"],
  "any category": ["任意分类", "Any category"],
  warehouse: ["仓库", "Warehouse"],
  "any warehouse": ["任意仓库", "Any warehouse"],
  levels: ["审批级别（依次）", "Approval levels, in order"],
  level: ["第 {n} 级", "Level {n}"],
  "add rule": ["添加规则", "Add a rule"],
  "move up": ["上移", "Move up"],
  "move down": ["下移", "Move down"],
  remove: ["删除", "Remove"],
  "save rules": ["保存规则", "Save the rules"],
  "rules saved": ["审批规则已保存", "Approval rules saved"],
  "no rules": ["没有规则：此类单据都无需审批", "No rules: no document of this kind needs approval"],
  "approval levels": ["审批流程", "Approval"],
  "waiting at": ["待第 {level} 级（{role}）审批", "Waiting at level {level} ({role})"],
  "no approval needed": ["无需审批", "No approval needed"],
  who: ["审批人", "Who"],
  decision: ["结果", "Decision"],
  comment: ["意见", "Comment"],
  version: ["版本", "Version"],
  at: ["时间", "Time"],
  "restarts approval": ["审批中修改：已给出的审批作废，按审批规则重新审批。", "A change while it waits for approval voids the levels given: it is approved afresh, as the rules say."],
}, "approvals");

const KINDS = ["purchase_order", "requisition", "transfer_order"];
const ROLES = ["approver", "director", "admin"];
const MAX_LEVELS = 5;

/** Administration › Approval rules: one kind's rules at a time (#/office/approval-rules/<kind>). */
async function approvalRules(here, panel, kind = "purchase_order") {
  if (!KINDS.includes(kind)) kind = "purchase_order";
  const answer = await load(here, panel, Promise.all([
    sync.api("/api/v1/approval-rules", { params: { kind } }),
    sync.api("/api/v1/categories", { params: { limit: 500 } }),
    sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } }),
  ]));
  if (!answer) return;
  const [rules, { items: categories }, { items: warehouses }] = answer;
  const table = grid([num(t("order")), t("above"), t("up to"), t("category"), t("warehouse"), t("levels"), ""], [], { id: "approval-rules", class: "line-editor" });
  const body = table.querySelector("tbody");
  const problem = h("p", { class: "form-error", role: "alert", tabindex: "-1", "data-field": "form-error", hidden: true });
  const choose = (name, options, value, label) => h("select", { name, "aria-label": label },
    options.map(([v, shown]) => h("option", { value: v, selected: String(value ?? "") === String(v) }, shown)));

  const ruleRow = (rule = { above: "0", up_to: null, levels: ["approver"], category: null, warehouse: null }) => {
    const tr = h("tr", { "data-rule": "" });
    // One select per level, and an empty one after them to add the next (up to five).
    const levelCell = h("td", { class: "levels" });
    const levelSelect = (value, i) => choose("level", [["", "—"], ...ROLES.map((r) => [r, known("role", r)])], value,
      t("level").replace("{n}", i + 1));
    const growLevels = () => {
      const selects = [...levelCell.querySelectorAll("[name=level]")];
      if (selects.length < MAX_LEVELS && selects.at(-1)?.value) levelCell.append(h("div", {}, levelSelect("", selects.length)));
    };
    levelCell.addEventListener("change", growLevels);
    (rule.levels.length ? rule.levels : [""]).forEach((role, i) => levelCell.append(h("div", {}, levelSelect(role, i))));
    growLevels();
    const move = (step) => {
      const rows = [...body.children];
      const at = rows.indexOf(tr);
      const to = at + step;
      if (to < 0 || to >= rows.length) return;
      if (step < 0) body.insertBefore(tr, rows[to]);
      else body.insertBefore(rows[to], tr);
      numberRows();
      tr.querySelector(`[data-action=${step < 0 ? "up" : "down"}]`)?.focus();
    };
    tr.append(
      h("td", { class: "num", "data-field": "priority" }),
      h("td", {}, h("input", { name: "above", value: rule.above ?? "0", inputmode: "decimal", size: 10, "aria-label": t("above") })),
      h("td", {}, h("input", { name: "up_to", value: rule.up_to ?? "", inputmode: "decimal", size: 10, placeholder: t("no limit"), "aria-label": t("up to") })),
      h("td", {}, choose("category", [["", t("any category")], ...categories.map((c) => [c.code, `${c.code} · ${named(c)}`])], rule.category || "",
        t("category"))),
      h("td", {}, choose("warehouse", [["", t("any warehouse")], ...warehouses.map((w) => [w.code, `${w.code} · ${named(w)}`])], rule.warehouse || "",
        t("warehouse"))),
      levelCell,
      h("td", {}, h("div", { class: "actions" },
        h("button", { type: "button", "data-action": "up", "aria-label": t("move up"), title: t("move up"), onclick: () => move(-1) }, "↑"),
        h("button", { type: "button", "data-action": "down", "aria-label": t("move down"), title: t("move down"), onclick: () => move(1) }, "↓"),
        h("button", { type: "button", "data-action": "remove", onclick: () => {
          tr.remove();
          numberRows();
        } }, t("remove")))));
    return tr;
  };
  const numberRows = () => [...body.children].forEach((tr, i) => {
    tr.dataset.rule = String(i);
    tr.querySelector("[data-field=priority]").textContent = String(i + 1);
    for (const input of tr.querySelectorAll("input, select")) input.dataset.of = `rules[${i}]`;
  });
  body.append(...rules.map((rule) => ruleRow(rule)));
  numberRows();

  const read = () => [...body.children].map((tr) => {
    const value = (name) => tr.querySelector(`[name=${name}]`).value.trim();
    return {
      above: value("above") || "0", up_to: value("up_to") || null,
      levels: [...tr.querySelectorAll("[name=level]")].map((s) => s.value).filter(Boolean),
      category: value("category") || null, warehouse: value("warehouse") || null,
    };
  });
  // A refusal names the rule and field (`rules[1].category`): that input is marked and focused.
  const refused = (error) => {
    fail(error);
    for (const element of panel.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
    problem.textContent = said(error);
    problem.hidden = false;
    const [, index, name] = /^rules\[(\d+)\](?:\.(\w+))?/.exec(error?.body?.details?.field || "") || [];
    const tr = index !== undefined ? body.children[Number(index)] : null;
    const field = tr && (tr.querySelector(`[name=${name === "levels" ? "level" : name || "above"}]`));
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    } else {
      problem.focus();
    }
  };
  const save = h("button", { type: "submit", class: "primary", "data-action": "save" }, t("save rules"));
  const form = h("form", { class: "record-form", id: "approval-rules-form", "aria-label": t("approval-rules"), onsubmit: async (event) => {
    event.preventDefault();
    problem.hidden = true;
    save.disabled = true;
    let saved;
    try {
      saved = await sync.api("/api/v1/approval-rules", { method: "PUT", body: { kind, rules: read() } });
    } catch (error) {
      save.disabled = false;
      return refused(error);
    }
    save.disabled = false;
    say("ok", t("rules saved"));
    if (showing(here)) {
      put(body, saved.map((rule) => ruleRow(rule)));
      numberRows();
      for (const element of panel.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
      empty.hidden = saved.length > 0;
    }
  } },
  table,
  problem,
  h("div", { class: "actions" },
    h("button", { type: "button", "data-action": "add-rule", onclick: () => {
      body.append(ruleRow());
      numberRows();
      empty.hidden = true;
      body.lastElementChild.querySelector("[name=above]").focus();
    } }, t("add rule")),
    save));
  const empty = h("p", { class: "muted", id: "no-rules", hidden: rules.length > 0 }, t("no rules"));
  put(panel,
    h("h2", {}, t("approval-rules")),
    h("p", { class: "muted" }, t("rules intro")),
    h("nav", { class: "actions", "aria-label": t("approval-rules") }, KINDS.map((k) => h("a", {
      href: `#/office/approval-rules/${k}`, class: k === kind ? "button primary" : "button", "data-kind": k, "aria-current": k === kind ? "page" : null },
      t(`kind ${k}`)))),
    h("h3", {}, t(`kind ${kind}`)),
    h("p", { class: "muted", "data-field": "amount" }, t(`amount ${kind}`)),
    empty,
    form);
}

/** Where a requisition or transfer order stands in its approval: the levels the rules asked for (the one it waits at
 *  marked), then each decision taken on it, void ones struck through. */
export function approvalTrail(doc, id) {
  const roles = doc.approval_roles || [];
  const standing = (doc.approvals || []).filter((a) => !a.void && a.decision === "approved").length;
  const waiting = doc.status === "pending" && standing < roles.length;
  return h("div", { id, class: "approval-trail" },
    h("h4", {}, t("approval levels")),
    h("p", { "data-field": "approval-roles" }, roles.length ? roles.map((r) => known("role", r)).join(" → ") : t("no approval needed"),
      waiting ? h("span", { class: "muted", "data-field": "waiting-at" },
        ` · ${t("waiting at").replace("{level}", standing + 1).replace("{role}", known("role", roles[standing]))}`) : null),
    (doc.approvals || []).length ? grid([t("level"), t("who"), t("decision"), t("comment"), t("version"), t("at")],
      doc.approvals.map((a) => row({ class: a.void ? "void" : null, "data-decision": a.decision, "data-level": a.level },
        [t("level").replace("{n}", a.level) + ` · ${known("role", a.role)}`, a.user, known("decision", a.decision), a.comment, `v${a.version}`,
          when(a.at)]))) : null);
}

/** What changing a document waiting for approval does, said beside the form that changes it. */
export const restartsApproval = () => h("p", { class: "muted", "data-field": "restarts-approval" }, t("restarts approval"));

/** Administration › Approval rules. */
export const sections = {
  "approval-rules": { draw: approvalRules, group: "admin", may: () => may("settings.write"), label: () => t("approval-rules") },
};
