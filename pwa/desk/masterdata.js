// Master data in the back office: items and their barcodes, item categories, partners, the location tree, users (each
// looked up, added and changed here), and label printers for administrators.

import * as sync from "../sync.js";
import { language, said } from "../i18n.js";
import { h, say, showing, money } from "../ui.js";
import {
  amount, back, control, deskTexts, download, enc, facts, fail, grid, link, load, may, named, num, pagedList, put, recordForm, row, when, by,
} from "../desk.js";

const { t, known } = deskTexts({
  "no price list": ["无（按商品标准价）", "None (the items' own prices)"],
  "list kind sales": ["销售价", "sales"],
  "list kind purchase": ["采购价", "purchase"],
  "new item": ["新建商品", "New item"],
  "max stock": ["库存上限", "Maximum stock"],
  "lead time": ["采购提前期（天）", "Lead time (days)"],
  moq: ["最小起订量", "Minimum order qty"],
  "moq hint": ["采购计划的建议数量不低于此数；留空表示不限", "Purchase plans propose no less than this; leave empty for none"],
  "edit item": ["修改商品", "Change item"],
  "new partner": ["新建往来单位", "New partner"],
  "edit partner": ["修改往来单位", "Change partner"],
  "new user": ["新建用户", "New user"],
  "edit user": ["修改用户", "Change user"],
  "add zone": ["添加库区", "Add a zone"],
  "add bin": ["添加货位", "Add a bin"],
  "edit location": ["修改库位", "Change location"],
  "add barcode": ["添加条码", "Add a barcode"],
  "remove barcode": ["删除条码", "Remove barcode"],
  "barcode added": ["条码已添加", "Barcode added"],
  "barcode removed": ["条码已删除", "Barcode removed"],
  "add barcodes next": ["商品已保存，现在可以添加它的条码（单件条码和箱码）。", "The item is saved: now add its barcodes (each and carton)."],
  "pack carton": ["箱", "carton"],
  "pack inner": ["中包", "inner pack"],
  "pack case": ["大箱", "case"],
  "pack pallet": ["托盘", "pallet"],
  "frozen once moved": ["商品有库存移动后不能再修改", "Cannot change once the item has stock moves"],
  "load current": ["载入当前记录（放弃我的修改）", "Load the current record (drops my changes)"],
  "current loaded": ["已载入他人保存后的当前记录", "The record as saved by the other person is loaded"],
  "credit limit not yours": ["信用额度由销售、财务或管理员设置", "Credit limits are set by sales, finance or an administrator"],
  "credit limit hint": ["留空表示不限", "Leave empty for no limit"],
  "add contact": ["添加联系人", "Add a contact"],
  "remove contact": ["删除联系人", "Remove contact"],
  "quarantine flag": ["待检/隔离（其中库存不可用）", "Quarantine (its stock is not available)"],
  "display name": ["显示名称", "Display name"],
  password: ["初始密码", "Initial password"],
  "new password": ["新密码", "New password"],
  "reset password": ["重设密码", "Reset password"],
  "password reset": ["密码已重设，该用户的登录会话已结束", "Password reset; the user's sessions have ended"],
  "password rule": ["至少 {n} 个字符，且不能是常见密码。", "At least {n} characters, and not one of the common passwords."],
  warehouses: ["仓库", "Warehouses"],
  "every warehouse": ["不勾选表示可在所有仓库作业", "None ticked: works in every warehouse"],
  language: ["语言", "Language"],
  "language device": ["跟随设备", "As the device shows"],
  "language zh-CN": ["中文", "Chinese"],
  "language en": ["English", "English"],
  "two step": ["两步验证", "Two-step verification"],
  categories: ["商品分类", "Categories"],
  category: ["商品分类", "Category"],
  "no category": ["（无分类）", "(No category)"],
  "new category": ["新建分类", "New category"],
  "edit category": ["修改分类", "Change category"],
  "category items": ["此分类的商品", "Items in this category"],
  "item count": ["商品数", "Items"],
  "inactive category": ["已停用", "inactive"],
  "inactive category hint": ["停用后其商品仍属于它，报表照常统计；但不能再把商品归入此分类。",
    "Its items stay in it and reports still count them; no more items can be put in it."],
}, "masterdata");

const PACKS = ["each", "inner", "carton", "case", "pallet"];
const VAT_RATES = ["13", "9", "6", "3", "1", "0"];
const active = (record) => (record.active ? t("active") : t("inactive"));
const NEW = "+new";  // no code starts with "+": the route of a new record
const newLink = (section, label) => h("p", {}, h("a", { href: `#/office/${section}/${NEW}`, class: "button", "data-action": "new" }, label));
/** Go to a record's page; when the address is already that page, draw it again there. */
const goTo = (hash, redraw) => {
  if (location.hash === hash) redraw();
  else location.hash = hash;
};
const numbers = (values, names) => {
  for (const name of names) if (name in values) values[name] = Number(values[name]);
  return values;
};

/** An edit's values with the fields emptied that had a value: sent as null, which clears them (no limit, no list). */
const cleared = (values, found, names) => {
  for (const name of names) if (found && !(name in values) && found[name] !== null && found[name] !== undefined) values[name] = null;
  return values;
};

/** A record form that also offers, when someone else saved the record first, to load the record as it is now.
 *  (A candidate for desk.js: every edit with a version needs it.) */
function editForm({ reload, ...options }) {
  const offer = h("p", { hidden: true }, h("button", { type: "button", "data-action": "load-current", onclick: reload }, t("load current")));
  const form = recordForm({ ...options, submit: async (values, element) => {
    offer.hidden = true;
    try {
      return await options.submit(values, element);
    } catch (error) {
      if (error?.body?.error === "stale_version") offer.hidden = false;
      throw error;
    }
  } });
  form.querySelector("[data-field=form-error]").after(offer);
  return form;
}

/** Ticked boxes sharing a name, as a fieldset: [[value, text]] with those in `chosen` ticked. */
function checkboxes(name, legend, options, chosen = [], hint = null) {
  return h("fieldset", { class: "choices", "data-field": name }, h("legend", {}, legend),
    options.map(([value, shown]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name, value, checked: chosen.includes(value) }), shown)),
    hint ? h("small", { class: "muted" }, hint) : null);
}
const ticked = (form, name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);

// Items ------------------------------------------------------------------------------------------

async function items(here, panel, sku, then) {
  if (sku === NEW) return itemForm(here, panel, null);
  if (sku) return item(here, panel, sku, then);
  const categories = await sync.api("/api/v1/categories", { params: { limit: 500 } }).catch(() => null);
  if (!showing(here)) return;
  const categoryNames = new Map((categories?.items || []).map((c) => [c.code, named(c) || c.code]));
  put(panel,
    may("catalog.write") ? newLink("items", t("new item")) : null,
    pagedList(here, {
      key: "items",
      filters: [{ name: "search", label: t("search"), type: "search" },
        { name: "category", label: t("category"), options: [["", t("all")], ...[...categoryNames].map(([code, name]) => [code, `${code} · ${name}`])] },
        { name: "active", label: t("status"), options: [["", t("all")], ["true", t("active")], ["false", t("inactive")]] }],
      columns: [by("sku", t("sku")), by(language() === "zh" ? "name_zh" : "name_en", t("name")), by("category", t("category")), by("unit", t("unit")),
        by("tracking", t("tracking")), by("active", t("status"))],
      fetchPage: (params) => sync.api("/api/v1/items", { params }),
      draw: (it) => row({ "data-sku": it.sku },
        [link("items", it.sku), named(it),
          it.category ? h("span", { "data-field": "category", title: categoryNames.get(it.category) || null }, link("categories", it.category)) : "",
          it.unit, known("tracking", it.tracking), active(it)]),
    }));
}

/** The categories an item may be put in: the active ones, and the one it is in even if that was deactivated since. */
async function categoryChoices(found) {
  const answer = await sync.api("/api/v1/categories", { params: { limit: 500 } }).catch(() => null);
  const listed = (answer?.items || []).filter((c) => c.active || c.code === found?.category);
  const choices = listed.map((c) => [c.code, `${c.code} · ${named(c) || c.code}${c.active ? "" : ` (${t("inactive category")})`}`]);
  if (found?.category && !listed.some((c) => c.code === found.category)) choices.push([found.category, found.category]);
  return [["", t("no category")], ...choices];
}

/** The fields of an item, filled from `found` (null: a new item); `categories` are the choices of categoryChoices(). */
function itemFields(found, categories) {
  const value = (name, otherwise = "") => (found ? found[name] ?? "" : otherwise);
  return [
    found ? null : { name: "sku", label: t("sku"), required: true, maxlength: 64, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]*", spellcheck: "false" },
    { name: "name_zh", label: t("name zh"), value: value("name_zh"), maxlength: 200, lang: "zh-CN" },
    { name: "name_en", label: t("name en"), value: value("name_en"), maxlength: 200, lang: "en" },
    { name: "unit", label: t("unit"), value: value("unit", "pcs"), required: true, maxlength: 16, hint: found ? t("frozen once moved") : null },
    { name: "unit_decimals", label: t("decimals"), type: "number", min: 0, max: 4, value: value("unit_decimals", 0), required: true,
      hint: found ? t("frozen once moved") : null },
    { name: "tracking", label: t("tracking"), value: value("tracking", "none"),
      options: ["none", "lot", "serial"].map((v) => [v, known("tracking", v)]), hint: found ? t("frozen once moved") : null },
    { name: "shelf_life_days", label: t("shelf life"), type: "number", min: 0, max: 36500, value: value("shelf_life_days") },
    { name: "reorder_point", label: t("reorder point"), inputmode: "decimal", value: value("reorder_point") },
    { name: "reorder_qty", label: t("reorder qty"), inputmode: "decimal", value: value("reorder_qty") },
    { name: "max_stock", label: t("max stock"), inputmode: "decimal", value: value("max_stock") },
    { name: "lead_time_days", label: t("lead time"), type: "number", min: 0, max: 36500, value: value("lead_time_days") },
    { name: "min_order_qty", label: t("moq"), inputmode: "decimal", value: value("min_order_qty"), hint: t("moq hint") },
    { name: "vat_rate", label: t("vat"), value: value("vat_rate", "13"), options: VAT_RATES.map((v) => [v, `${v}%`]) },
    { name: "category", label: t("category"), value: value("category"), options: categories },
    found ? { name: "active", label: t("active"), type: "checkbox", value: found.active } : null,
  ].filter(Boolean);
}

async function itemForm(here, panel, found) {
  const categories = await categoryChoices(found);
  if (!showing(here)) return null;
  const form = editForm({
    id: "item-form",
    title: found ? `${t("edit item")} ${found.sku}` : t("new item"),
    fields: itemFields(found, categories),
    submit: (values) => {
      numbers(values, ["unit_decimals", "shelf_life_days", "lead_time_days"]);
      cleared(values, found, ["shelf_life_days", "reorder_point", "reorder_qty", "max_stock", "lead_time_days", "min_order_qty", "category"]);
      return found
        ? sync.api(`/api/v1/items/${enc(found.sku)}`, { method: "PATCH", body: { ...values, version: found.version } })
        : sync.api("/api/v1/items", { method: "POST", body: values });
    },
    saved: (record) => {
      say("ok", `${t("saved")}: ${record.sku}`);
      // A new item goes on to its barcodes; a changed one shows as saved, the keyboard on its edit button.
      const then = found ? "saved" : "barcodes";
      goTo(`#/office/items/${enc(record.sku)}/${then}`, () => item(location.hash, panel, record.sku, then));
    },
    reload: () => item(here, panel, found.sku, "edit", true),
    cancel: () => { location.hash = found ? `#/office/items/${enc(found.sku)}` : "#/office/items"; },
  });
  if (found) return form;
  put(panel, back("items"), form);
  form.querySelector("[name=sku]").focus();
  return form;
}

async function item(here, panel, sku, then, reloaded = false) {
  const found = await load(here, panel, sync.api(`/api/v1/items/${enc(sku)}`));
  if (!found) return;
  const writer = may("catalog.write");
  const editing = h("div", { id: "item-edit" });
  const edit = writer ? h("button", { type: "button", "data-action": "edit", onclick: async () => {
    put(editing, await itemForm(here, panel, found));
    editing.querySelector("[name=name_zh]").focus();
  } }, t("edit")) : null;
  const remove = async (event, barcode) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await sync.api(`/api/v1/items/${enc(found.sku)}/barcodes/remove`, { method: "POST", body: { code: barcode.code, version: found.version } });
    } catch (error) {
      button.disabled = false;
      return fail(error);
    }
    say("ok", `${t("barcode removed")}: ${barcode.code}`);
    if (showing(here)) await item(here, panel, found.sku, "barcodes");
  };
  const adding = writer ? editForm({
    id: "barcode-form",
    title: t("add barcode"),
    label: t("add barcode"),
    fields: [
      { name: "code", label: t("barcode"), required: true, maxlength: 64, spellcheck: "false", autocapitalize: "off", inputmode: "text" },
      { name: "pack", label: t("pack"), value: "each", options: PACKS.map((p) => [p, known("pack", p)]) },
      { name: "qty", label: t("pack qty"), value: "1", inputmode: "decimal", required: true },
    ],
    submit: (values) => sync.api(`/api/v1/items/${enc(found.sku)}/barcodes`, { method: "POST", body: { ...values, version: found.version } }),
    saved: async (record) => {
      say("ok", `${t("barcode added")}: ${record.barcodes.map((b) => b.code).find((code) => !found.barcodes.some((b) => b.code === code)) || ""}`);
      if (showing(here)) await item(here, panel, found.sku, "barcodes");
    },
    reload: () => item(here, panel, found.sku, "barcodes", true),
  }) : null;
  put(panel,
    back("items"),
    h("h3", {}, `${found.sku} · ${named(found)}`),
    h("p", { class: "actions" }, edit,
      h("button", { type: "button", "data-action": "print-label", onclick: () => download(`/api/v1/labels/item/${enc(found.sku)}.pdf`) },
        t("print label"))),
    then === "barcodes" && !reloaded && found.barcodes.length === 0 ? h("p", { class: "muted" }, t("add barcodes next")) : null,
    facts([[t("name zh"), found.name_zh, { lang: "zh-CN" }], [t("name en"), found.name_en, { lang: "en" }], [t("unit"), found.unit],
      [t("decimals"), found.unit_decimals], [t("tracking"), known("tracking", found.tracking), { "data-field": "tracking" }],
      [t("shelf life"), found.shelf_life_days], [t("reorder point"), found.reorder_point], [t("reorder qty"), found.reorder_qty],
      [t("max stock"), found.max_stock], [t("lead time"), found.lead_time_days, { "data-field": "lead-time" }],
      [t("moq"), found.min_order_qty, { "data-field": "moq" }],
      [t("vat"), found.vat_rate],
      [t("category"), found.category ? link("categories", found.category) : t("no category"), { "data-field": "category" }], [t("status"), active(found), { "data-field": "status" }], [t("version"), found.version, { "data-field": "version" }]]),
    editing,
    h("h4", {}, t("barcodes")),
    // The code comes first, so on a phone it shows without scrolling the table; the button to remove it comes last.
    grid([t("barcode"), t("pack"), num(t("pack qty")), t("gtin"), writer ? t("actions") : null].filter(Boolean),
      found.barcodes.map((b) => row({ "data-barcode": b.code }, [b.code, known("pack", b.pack), num(b.qty), b.gtin || "",
        writer ? h("button", { type: "button", "data-action": "remove-barcode", "aria-label": `${t("remove barcode")} ${b.code}`,
          onclick: (event) => remove(event, b) }, t("remove barcode")) : null].filter((v) => v !== null))), { id: "item-barcodes" }),
    adding,
    h("h4", {}, t("stock")),
    h("div", { id: "item-stock" }, pagedList(here, {
      columns: [by("warehouse", t("warehouse")), by("location", t("location")), by("lot", t("lot")), by("expiry", t("expiry")), by("qty", num(t("on hand"))),
        by("reserved", num(t("reserved"))), by("available", num(t("available")))],
      fetchPage: (params) => sync.api("/api/v1/stock/balances", { params: { ...params, sku: found.sku } }),
      draw: (b) => row({ "data-location": b.location },
        [b.warehouse || "", b.location, b.lot ? h("a", { href: `#/office/trace/lot/${enc(found.sku)}/${enc(b.lot)}`, "data-trace": b.lot }, b.lot) : "",
          b.expiry || "", num(b.qty), num(b.reserved), num(b.available)]),
      size: 100,
    })));
  if (reloaded) say("ok", t("current loaded"));
  if (then === "barcodes") adding?.querySelector("[name=code]").focus();
  else if (then === "saved") edit?.focus();
  else if (then === "edit") edit?.click();
}

// Item categories: a short list kept by those who keep the items; reports filter and subtotal by them ----------------

async function categories(here, panel, code, then) {
  if (code === NEW) return categoryForm(here, panel, null);
  if (code) return category(here, panel, code, then);
  put(panel,
    may("catalog.write") ? newLink("categories", t("new category")) : null,
    pagedList(here, {
      key: "categories",
      filters: [{ name: "search", label: t("search"), type: "search" },
        { name: "active", label: t("status"), options: [["", t("all")], ["true", t("active")], ["false", t("inactive")]] }],
      columns: [by("code", t("code")), by(language() === "zh" ? "name_zh" : "name_en", t("name")), num(t("item count")), by("active", t("status"))],
      fetchPage: (params) => sync.api("/api/v1/categories", { params }),
      draw: (c) => row({ "data-category": c.code }, [link("categories", c.code), named(c), num(String(c.items)), active(c)]),
    }));
}

function categoryForm(here, panel, found) {
  const form = editForm({
    id: "category-form",
    title: found ? `${t("edit category")} ${found.code}` : t("new category"),
    fields: [
      found ? null : { name: "code", label: t("code"), required: true, maxlength: 64, pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]*", spellcheck: "false",
        autocapitalize: "off" },
      { name: "name_zh", label: t("name zh"), value: found?.name_zh ?? "", maxlength: 200, lang: "zh-CN" },
      { name: "name_en", label: t("name en"), value: found?.name_en ?? "", maxlength: 200, lang: "en" },
      found ? { name: "active", label: t("active"), type: "checkbox", value: found.active, hint: t("inactive category hint") } : null,
    ].filter(Boolean),
    submit: (values) => (found
      ? sync.api(`/api/v1/categories/${enc(found.code)}`, { method: "PATCH", body: { ...values, version: found.version } })
      : sync.api("/api/v1/categories", { method: "POST", body: values })),
    saved: (record) => {
      say("ok", `${t("saved")}: ${record.code}`);
      goTo(`#/office/categories/${enc(record.code)}/saved`, () => category(location.hash, panel, record.code, "saved"));
    },
    reload: () => category(here, panel, found.code, "edit", true),
    cancel: () => { location.hash = found ? `#/office/categories/${enc(found.code)}` : "#/office/categories"; },
  });
  if (found) return form;
  put(panel, back("categories"), form);
  form.querySelector("[name=code]").focus();
  return form;
}

async function category(here, panel, code, then, reloaded = false) {
  const found = await load(here, panel, sync.api(`/api/v1/categories/${enc(code)}`));
  if (!found) return;
  const editing = h("div", { id: "category-edit" });
  const edit = may("catalog.write") ? h("button", { type: "button", "data-action": "edit", onclick: () => {
    put(editing, categoryForm(here, panel, found));
    editing.querySelector("[name=name_zh]").focus();
  } }, t("edit")) : null;
  put(panel,
    back("categories"),
    h("h3", {}, `${found.code} · ${named(found)}`),
    edit ? h("p", { class: "actions" }, edit) : null,
    facts([[t("code"), found.code], [t("name zh"), found.name_zh, { lang: "zh-CN" }], [t("name en"), found.name_en, { lang: "en" }],
      [t("item count"), found.items, { "data-field": "items" }], [t("status"), active(found), { "data-field": "status" }],
      [t("version"), found.version, { "data-field": "version" }]]),
    editing,
    h("h4", {}, t("category items")),
    h("div", { id: "category-items" }, pagedList(here, {
      columns: [by("sku", t("sku")), by(language() === "zh" ? "name_zh" : "name_en", t("name")), by("unit", t("unit")), by("active", t("status"))],
      fetchPage: (params) => sync.api("/api/v1/items", { params: { ...params, category: found.code } }),
      draw: (it) => row({ "data-sku": it.sku }, [link("items", it.sku), named(it), it.unit, active(it)]),
    })));
  if (reloaded) say("ok", t("current loaded"));
  if (then === "saved") edit?.focus();
  else if (then === "edit") edit?.click();
}

// Partners ---------------------------------------------------------------------------------------

async function partners(here, panel, code, then) {
  if (code === NEW) return partnerForm(here, panel, null);
  if (code) return partner(here, panel, code, then);
  put(panel,
    may("partners.write") ? newLink("partners", t("new partner")) : null,
    pagedList(here, {
      key: "partners",
      filters: [{ name: "search", label: t("search"), type: "search" },
        { name: "kind", label: t("kind"), options: [["", t("all")], ["supplier", t("kind supplier")], ["customer", t("kind customer")]] }],
      columns: [by("code", t("code")), by(language() === "zh" ? "name_zh" : "name_en", t("name")), by("kind", t("kind")), by("contact", t("contact")),
        by("phone", t("phone")), by("payment_terms_days", num(t("terms"))), by("credit_limit", num(t("credit limit"))), by("currency", t("currency"))],
      fetchPage: (params) => sync.api("/api/v1/partners", { params }),
      draw: (p) => row({ "data-partner": p.code }, [link("partners", p.code), named(p), known("kind", p.kind), p.contact, p.phone,
        num(String(p.payment_terms_days)), amount(p.credit_limit, ""), p.currency]),
    }));
}

/** The contacts of a partner as rows of inputs (no names of their own: they are sent as one list). */
function contactRows(contacts) {
  const list = h("div", { class: "contacts", id: "partner-contacts" });
  const input = (field, label, value, attrs = {}) => h("label", {}, label,
    h("input", { type: "text", "data-contact": field, value: value ?? "", autocomplete: "off", ...attrs }));
  const add = (contact = {}) => {
    const line = h("fieldset", { class: "fields contact", "data-field": "contact" },
      h("legend", {}, t("contact")),
      input("name", t("name"), contact.name, { required: true, maxlength: 100 }), input("role", t("role"), contact.role, { maxlength: 100 }),
      input("phone", t("phone"), contact.phone, { maxlength: 50, type: "tel" }), input("email", t("email"), contact.email, { maxlength: 200, type: "email" }),
      h("button", { type: "button", "data-action": "remove-contact", onclick: () => {
        line.remove();
        more.focus();
      } }, t("remove contact")));
    list.append(line);
    return line;
  };
  const more = h("button", { type: "button", "data-action": "add-contact", onclick: () => add().querySelector("input").focus() }, t("add contact"));
  for (const contact of contacts) add(contact);
  return {
    node: h("div", { class: "contacts-part" }, h("h4", {}, t("contacts")), list, more),
    values: () => [...list.querySelectorAll("fieldset.contact")].map((line) => Object.fromEntries(
      [...line.querySelectorAll("[data-contact]")].map((el) => [el.dataset.contact, el.value.trim()]))),
  };
}

async function partnerForm(here, panel, found) {
  const value = (name, otherwise = "") => (found ? found[name] ?? "" : otherwise);
  const credit = may("partners.credit")
    ? { name: "credit_limit", label: t("credit limit"), inputmode: "decimal", value: value("credit_limit"), hint: t("credit limit hint") }
    : h("p", { class: "muted", "data-field": "credit-limit-note" }, `${t("credit limit")}: ${found?.credit_limit == null ? t("no limit") : money(found.credit_limit)} · ${t("credit limit not yours")}`);
  const contacts = contactRows(found ? found.contacts : []);
  // The price list is chosen from those there are; without the right to read prices, its code is typed.
  const lists = may("prices.read") ? await sync.api("/api/v1/price-lists").catch(() => null) : null;
  const priceList = lists
    ? { name: "price_list", label: t("price list"), value: value("price_list"),
      options: [["", t("no price list")], ...lists.items.map((l) => [l.code, `${l.code} · ${named(l) || l.code} · ${known("list kind", l.kind)} · ${l.currency}`])] }
    : { name: "price_list", label: t("price list"), value: value("price_list"), maxlength: 64, spellcheck: "false" };
  if (!showing(here)) return null;
  const form = editForm({
    id: "partner-form",
    title: found ? `${t("edit partner")} ${found.code}` : t("new partner"),
    fields: [
      found ? null : { name: "code", label: t("code"), required: true, maxlength: 64, spellcheck: "false" },
      found ? null : { name: "kind", label: t("kind"), value: "customer", options: ["customer", "supplier", "both"].map((k) => [k, known("kind", k)]) },
      { name: "name_zh", label: t("name zh"), value: value("name_zh"), maxlength: 200, lang: "zh-CN" },
      { name: "name_en", label: t("name en"), value: value("name_en"), maxlength: 200, lang: "en" },
      { name: "contact", label: t("contact"), value: value("contact"), maxlength: 100 },
      { name: "phone", label: t("phone"), value: value("phone"), maxlength: 50, type: "tel" },
      { name: "email", label: t("email"), value: value("email"), maxlength: 200, type: "email" },
      { name: "tax_id", label: t("tax id"), value: value("tax_id"), maxlength: 50 },
      { name: "address", label: t("address"), value: value("address"), type: "textarea", maxlength: 500 },
      { name: "payment_terms_days", label: t("terms"), type: "number", min: 0, max: 3650, value: value("payment_terms_days", 30), required: true },
      credit,
      priceList,
      { name: "currency", label: t("currency"), value: value("currency", "CNY"), maxlength: 3, pattern: "[A-Z]{3}", required: true },
      found ? { name: "active", label: t("active"), type: "checkbox", value: found.active } : null,
      contacts.node,
    ].filter(Boolean),
    submit: (values) => {
      const body = { ...cleared(numbers(values, ["payment_terms_days"]), found, may("partners.credit") ? ["credit_limit", "price_list"] : ["price_list"]),
        contacts: contacts.values() };
      return found
        ? sync.api(`/api/v1/partners/${enc(found.code)}`, { method: "PATCH", body: { ...body, version: found.version } })
        : sync.api("/api/v1/partners", { method: "POST", body });
    },
    saved: (record) => {
      say("ok", `${t("saved")}: ${record.code}`);
      goTo(`#/office/partners/${enc(record.code)}/saved`, () => partner(location.hash, panel, record.code, "saved"));
    },
    reload: () => partner(here, panel, found.code, "edit", true),
    cancel: () => { location.hash = found ? `#/office/partners/${enc(found.code)}` : "#/office/partners"; },
  });
  if (found) return form;
  put(panel, back("partners"), form);
  form.querySelector("[name=code]").focus();
  return form;
}

async function partner(here, panel, code, then, reloaded = false) {
  const found = await load(here, panel, sync.api(`/api/v1/partners/${enc(code)}`));
  if (!found) return;
  const credit = h("div", { id: "partner-credit" });
  const editing = h("div", { id: "partner-edit" });
  const edit = may("partners.write") ? h("button", { type: "button", "data-action": "edit", onclick: async () => {
    put(editing, await partnerForm(here, panel, found));
    editing.querySelector("[name=name_zh]").focus();
  } }, t("edit")) : null;
  put(panel,
    back("partners"),
    h("h3", {}, `${found.code} · ${named(found)}`),
    edit ? h("p", { class: "actions" }, edit) : null,
    facts([[t("kind"), known("kind", found.kind)], [t("name zh"), found.name_zh, { lang: "zh-CN" }], [t("name en"), found.name_en, { lang: "en" }],
      [t("contact"), found.contact], [t("phone"), found.phone], [t("email"), found.email], [t("tax id"), found.tax_id], [t("address"), found.address],
      [t("terms"), found.payment_terms_days],
      [t("credit limit"), found.credit_limit == null ? t("no limit") : money(found.credit_limit), { "data-field": "credit_limit" }],
      [t("currency"), found.currency], [t("price list"), found.price_list], [t("status"), active(found)],
      [t("version"), found.version, { "data-field": "version" }]]),
    editing,
    credit,
    found.contacts.length ? [h("h4", {}, t("contacts")), grid([t("name"), t("role"), t("phone"), t("email")],
      found.contacts.map((c) => row({}, [c.name, c.role, c.phone, c.email])), { id: "contact-list" })] : null);
  if (reloaded) say("ok", t("current loaded"));
  if (then === "saved") edit?.focus();
  else if (then === "edit") edit?.click();
  if (found.kind === "supplier") return;
  const exposure = await load(here, credit, sync.api(`/api/v1/customers/${enc(found.code)}/credit`));
  if (!exposure) return;
  put(credit, h("h4", {}, t("credit")), grid(
    [num(t("credit limit")), num(t("receivables")), num(t("open orders")), num(t("exposure")), num(t("available credit"))],
    [row({ "data-field": "credit" }, [amount(exposure.credit_limit, t("no limit")), amount(exposure.open_receivables), amount(exposure.open_orders),
      amount(exposure.exposure), amount(exposure.available_credit, t("no limit"))])]));
}

// Locations: warehouse > zone > bin, each level fetched when opened; an administrator adds zones and bins there -------

async function locations(here, panel) {
  const size = h("select", { name: "size" }, [["", t("usual size")], ["50x30", "50 × 30 mm"], ["100x150", "100 × 150 mm"], ["a4-3x8", t("a4 sheet")]]
    .map(([value, shown]) => h("option", { value }, shown)));
  const printBins = (code) => download("/api/v1/labels/print",
    { method: "POST", body: { kind: "location", under: code, ...(size.value ? { size: size.value } : {}) } });
  const writer = may("locations.write");
  const CHILD = { warehouse: "zone", zone: "bin" };

  const node = (place) => {
    const children = h("ul", { class: "tree", hidden: true });
    const editing = h("div", { class: "tree-form" });
    let loaded = false;
    /** Open the level under this place (`again`: fetch it anew, as after a place was added under it). */
    const open = async (again = false) => {
      opener.setAttribute("aria-expanded", "true");
      children.hidden = false;
      if (!loaded || again) {
        loaded = true;
        put(children);
        await level(children, { parent: place.code });
      }
    };
    const opener = place.kind === "bin" || place.kind === "virtual" ? h("strong", { class: "leaf" }, place.code)
      : h("button", { type: "button", class: "opener", "aria-expanded": "false", onclick: async (event) => {
        const button = event.currentTarget;
        if (button.getAttribute("aria-expanded") === "true") {
          button.setAttribute("aria-expanded", "false");
          children.hidden = true;
        } else {
          await open();
        }
      } }, place.code);
    const closeForm = (focus) => {
      put(editing);
      focus?.focus();
    };
    const addUnder = (kind, button) => {
      const form = recordForm({
        title: `${t(`add ${kind}`)} · ${place.code}`,
        fields: [
          { name: "code", label: t("code"), required: true, maxlength: 64, spellcheck: "false", autocapitalize: "off" },
          { name: "name_zh", label: t("name zh"), maxlength: 200, lang: "zh-CN" },
          { name: "name_en", label: t("name en"), maxlength: 200, lang: "en" },
          { name: "quarantine", label: t("quarantine flag"), type: "checkbox", value: false },
        ],
        submit: (values) => sync.api("/api/v1/locations", { method: "POST", body: { ...values, kind, parent: place.code } }),
        saved: async (record) => {
          say("ok", `${t("saved")}: ${record.code}`);
          closeForm();
          await open(true);
          children.querySelector(`li[data-location="${CSS.escape(record.code)}"] button`)?.focus();
        },
        cancel: () => closeForm(button),
      });
      form.dataset.kind = kind;
      put(editing, form);
      form.querySelector("[name=code]").focus();
    };
    const change = (button) => {
      const form = editForm({
        title: `${t("edit location")} ${place.code}`,
        fields: [
          { name: "name_zh", label: t("name zh"), value: place.name_zh, maxlength: 200, lang: "zh-CN" },
          { name: "name_en", label: t("name en"), value: place.name_en, maxlength: 200, lang: "en" },
          { name: "quarantine", label: t("quarantine flag"), type: "checkbox", value: place.quarantine },
          { name: "active", label: t("active"), type: "checkbox", value: place.active },
        ],
        // Names emptied are sent empty: formValues leaves out what is empty.
        submit: (values) => sync.api(`/api/v1/locations/${enc(place.code)}`, { method: "PATCH",
          body: { name_zh: "", name_en: "", ...values, version: place.version } }),
        saved: (record) => {
          say("ok", `${t("saved")}: ${record.code}`);
          const fresh = node(record);
          entry.replaceWith(fresh);
          fresh.querySelector("[data-action=edit-location]")?.focus();
        },
        reload: async () => {
          const current = await load(here, editing, sync.api(`/api/v1/locations/${enc(place.code)}`));
          if (!current) return;
          const fresh = node(current);
          entry.replaceWith(fresh);
          say("ok", t("current loaded"));
          fresh.querySelector("[data-action=edit-location]")?.click();
        },
        cancel: () => closeForm(button),
      });
      put(editing, form);
      form.querySelector("[name=name_zh]").focus();
    };
    const tools = [];
    if (writer && CHILD[place.kind]) {
      const kind = CHILD[place.kind];
      tools.push(h("button", { type: "button", "data-action": `add-${kind}`, "aria-label": `${t(`add ${kind}`)} · ${place.code}`,
        onclick: (event) => addUnder(kind, event.currentTarget) }, t(`add ${kind}`)));
    }
    if (writer && place.kind !== "virtual") {
      tools.push(h("button", { type: "button", "data-action": "edit-location", "aria-label": `${t("edit")} ${place.code}`,
        onclick: (event) => change(event.currentTarget) }, t("edit")));
    }
    const entry = h("li", { "data-location": place.code, "data-kind": place.kind },
      h("div", { class: "node" }, opener, h("span", {}, named(place)), h("span", { class: "muted" }, known("kind", place.kind)),
        place.quarantine ? h("span", { class: "pending", "data-field": "quarantine" }, t("quarantine")) : null,
        place.active ? null : h("span", { class: "muted", "data-field": "inactive" }, t("inactive")),
        place.kind === "warehouse" || place.kind === "zone"
          ? h("button", { type: "button", "data-action": "print-bins", "aria-label": `${t("print bin labels")} ${place.code}`,
            onclick: () => printBins(place.code) }, t("print bin labels")) : null,
        tools),
      editing,
      children);
    return entry;
  };

  /** One level of the tree into `list`, a hundred at a time. */
  const level = async (list, params, offset = 0) => {
    let page;
    list.setAttribute("aria-busy", "true");
    try {
      page = await sync.api("/api/v1/locations", { params: { ...params, limit: 100, offset } });
    } catch (error) {
      if (showing(here)) fail(error);
      return;
    } finally {
      list.removeAttribute("aria-busy");
    }
    if (!showing(here)) return;
    const more = list.querySelector(":scope > li.more");
    const hadFocus = more?.contains(document.activeElement);
    more?.remove();
    const added = page.items.map(node);
    list.append(...added);
    if (hadFocus) added[0]?.querySelector("button")?.focus();  // the focus goes on to what the button brought
    if (!page.items.length && !offset) list.append(h("li", { class: "muted" }, t("nothing found")));
    if (offset + page.items.length < page.total) {
      list.append(h("li", { class: "more" }, h("button", { type: "button", onclick: () => level(list, params, offset + 100) }, t("more"))));
    }
  };

  const tree = h("ul", { class: "tree", id: "location-tree", "aria-label": t("location tree") });
  const form = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const search = new FormData(event.currentTarget).get("search").trim();
    put(tree);
    level(tree, search ? { search } : { kind: "warehouse" });
  } }, control({ name: "search", label: t("search"), type: "search" }), h("button", { type: "submit", class: "primary" }, t("find")));
  put(panel, form, h("p", { class: "filters" }, h("label", {}, t("label size"), size)), h("p", { class: "muted" }, t("location tree")), tree);
  await level(tree, { kind: "warehouse" });
}

// Users: who may sign in, with which roles and in which warehouses; accounts that failed sign-ins have locked -------

async function users(here, panel, username, then) {
  if (username === NEW) return userForm(here, panel, null);
  if (username) return user(here, panel, username, then);
  const list = await load(here, panel, sync.api("/api/v1/users"));
  if (!list) return;
  const locked = list.filter((user) => user.sign_in_locked_until);
  const unlock = async (event, user) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await sync.api(`/api/v1/users/${enc(user.username)}/unlock`, { method: "POST" });
    } catch (error) {
      button.disabled = false;
      return fail(error);
    }
    say("ok", `${t("unlocked")}: ${user.username}`);
    if (!showing(here)) return;
    await users(here, panel);
    panel.querySelector("[data-field=locked-count]")?.focus();  // the button is gone: the keyboard goes on from the summary
  };
  // The sign-in column comes second and its button first, so on a phone both show without scrolling the table.
  const signIn = (user) => (user.sign_in_locked_until
    ? h("span", {},
      h("button", { type: "button", "data-action": "unlock", "aria-label": `${t("unlock")} ${user.username}`, onclick: (event) => unlock(event, user) },
        t("unlock")),
      h("span", { class: "pending" }, ` ${t("locked until")} ${when(user.sign_in_locked_until)}`))
    : t("not locked"));
  const draw = (user) => row({ "data-user": user.username }, [
    link("users", user.username), signIn(user), user.display_name, user.roles.map((role) => known("role", role)).join(", "),
    user.warehouses.join(", "), active(user),
  ]);
  put(panel,
    newLink("users", t("new user")),
    h("p", { "data-field": "locked-count", tabindex: "-1", class: locked.length ? "pending" : "muted" },
      locked.length ? `${t("locked accounts")}: ${locked.length}` : t("no locked accounts")),
    grid([t("username"), t("sign in"), t("name"), t("roles"), t("warehouses"), t("status")], list.map(draw), { id: "user-list" }));
}

/** What the user form offers: the roles (with their names) and the password rule from the server, the warehouses. */
async function userChoices(here, panel) {
  const answer = await load(here, panel, Promise.all([sync.api("/api/v1/auth/account-rules"),
    sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } })]));
  if (!answer) return null;
  const [rules, { items: places }] = answer;
  return {
    roles: rules.roles.map((r) => [r.role, named(r)]),
    warehouses: places.map((p) => [p.code, `${p.code} · ${named(p)}`]),
    passwordRule: t("password rule").replace("{n}", rules.password_min_length),
  };
}

async function userForm(here, panel, found, choices = null) {
  choices ??= await userChoices(here, panel);
  if (!choices) return null;
  const languages = [["", t("language device")], ["zh-CN", t("language zh-CN")], ["en", t("language en")]];
  const form = editForm({
    id: "user-form",
    title: found ? `${t("edit user")} ${found.username}` : t("new user"),
    fields: [
      found ? null : { name: "username", label: t("username"), required: true, maxlength: 64, spellcheck: "false", autocapitalize: "off",
        autocomplete: "off", pattern: "[A-Za-z0-9][A-Za-z0-9._@\\-]*" },
      { name: "display_name", label: t("display name"), value: found?.display_name ?? "", maxlength: 200 },
      found ? null : { name: "password", label: t("password"), type: "password", required: true, autocomplete: "new-password",
        hint: choices.passwordRule },
      checkboxes("roles", t("roles"), choices.roles, found?.roles ?? []),
      checkboxes("warehouses", t("warehouses"), choices.warehouses, found?.warehouses ?? [], t("every warehouse")),
      { name: "language", label: t("language"), value: found?.language ?? "", options: languages },
      found ? { name: "active", label: t("active"), type: "checkbox", value: found.active } : null,
    ].filter(Boolean),
    submit: (values, element) => {
      const body = { ...values, roles: ticked(element, "roles"), warehouses: ticked(element, "warehouses") };
      if (!body.language) delete body.language;
      return found
        ? sync.api(`/api/v1/users/${enc(found.username)}`, { method: "PATCH", body: { ...body, version: found.version } })
        : sync.api("/api/v1/users", { method: "POST", body });
    },
    saved: (record) => {
      say("ok", `${t("saved")}: ${record.username}`);
      goTo(`#/office/users/${enc(record.username)}/saved`, () => user(location.hash, panel, record.username, "saved"));
    },
    reload: () => user(here, panel, found.username, "edit", true),
    cancel: () => { location.hash = found ? `#/office/users/${enc(found.username)}` : "#/office/users"; },
  });
  if (found) return form;
  put(panel, back("users"), form);
  form.querySelector("[name=username]").focus();
  return form;
}

async function user(here, panel, username, then, reloaded = false) {
  const [found, choices] = await Promise.all([load(here, panel, sync.api(`/api/v1/users/${enc(username)}`)), userChoices(here, panel)]);
  if (!found || !choices || !showing(here)) return;
  const editing = h("div", { id: "user-edit" });
  const edit = h("button", { type: "button", "data-action": "edit", onclick: async () => {
    put(editing, await userForm(here, panel, found, choices));
    editing.querySelector("[name=display_name]").focus();
  } }, t("edit"));
  const reset = editForm({
    id: "password-form",
    title: t("reset password"),
    label: t("reset password"),
    fields: [{ name: "password", label: t("new password"), type: "password", required: true, autocomplete: "new-password", hint: choices.passwordRule }],
    submit: (values) => sync.api(`/api/v1/users/${enc(found.username)}`, { method: "PATCH", body: { password: values.password, version: found.version } }),
    saved: async () => {
      say("ok", t("password reset"));
      if (showing(here)) await user(here, panel, found.username, "saved");
    },
    reload: () => user(here, panel, found.username, null, true),
  });
  const names = Object.fromEntries(choices.roles);
  put(panel,
    back("users"),
    h("h3", {}, `${found.username} · ${found.display_name}`),
    h("p", { class: "actions" }, edit),
    facts([[t("username"), found.username], [t("display name"), found.display_name],
      [t("roles"), found.roles.map((r) => names[r] || r).join(", "), { "data-field": "roles" }],
      [t("warehouses"), found.warehouses.join(", ") || t("every warehouse"), { "data-field": "warehouses" }],
      [t("language"), t(`language ${found.language || "device"}`)], [t("two step"), found.totp_enabled ? t("yes") : t("no")],
      [t("status"), active(found), { "data-field": "status" }], [t("version"), found.version, { "data-field": "version" }]]),
    editing,
    reset);
  if (reloaded) say("ok", t("current loaded"));
  if (then === "saved") edit.focus();
  else if (then === "edit") edit.click();
}

// Printers: each warehouse's label printers, added and changed by an administrator, each with a test print -----------

const LABEL_SIZES = () => [["50x30", "50 × 30 mm"], ["100x150", "100 × 150 mm"], ["a4-3x8", t("a4 sheet")]];
const sizeName = (size) => (LABEL_SIZES().find(([value]) => value === size) || [size, size])[1];
// Which field of the form a refusal of the server is about, so the cursor goes where the fix is typed.
const PRINTER_FIELDS = { printer_address_loopback: "host", printer_address_link_local: "host", printer_address_invalid: "host",
  printer_host_unknown: "host", printer_port_refused: "port", duplicate_printer: "name" };

async function printers(here, panel) {
  const answer = await load(here, panel, Promise.all([sync.api("/api/v1/printers"),
    sync.api("/api/v1/locations", { params: { kind: "warehouse", limit: 100 } })]));
  if (!answer) return;
  const [{ items }, { items: places }] = answer;
  const list = [...items].sort((a, b) => a.warehouse.localeCompare(b.warehouse) || a.name.localeCompare(b.name));
  let editing = null;  // the printer the form changes, or null: the form adds one

  const testPrint = async (event, printer) => {
    const button = event.currentTarget;
    button.disabled = true;
    button.textContent = t("test printing");  // a printer out of reach takes a few seconds to say so
    try {
      await sync.api(`/api/v1/printers/${printer.id}/test`, { method: "POST" });
      say("ok", `${t("test printed")} ${printer.name}`);
    } catch (error) {
      fail(error);
    } finally {
      button.disabled = false;
      button.textContent = t("test print");
    }
  };

  const title = h("h3", { id: "printer-form-title", tabindex: "-1" }, t("add printer"));
  const problem = h("p", { class: "form-error", "data-field": "form-error", hidden: true });
  const input = (name, label, attrs = {}) => h("label", {}, label, h("input", { name, type: "text", autocomplete: "off", ...attrs }));
  const status = h("label", { hidden: true }, t("status"),
    h("select", { name: "active" }, h("option", { value: "true" }, t("active")), h("option", { value: "false" }, t("inactive"))));
  const cancel = h("button", { type: "button", "data-action": "cancel", hidden: true, onclick: () => adding() }, t("cancel"));
  const form = h("form", { class: "filters", id: "printer-form", "aria-labelledby": "printer-form-title", onsubmit: (event) => save(event) },
    control({ name: "warehouse", label: t("warehouse"), options: places.map((place) => [place.code, `${place.code} · ${named(place)}`]) }),
    input("name", t("name"), { required: true, maxlength: 64 }),
    input("host", t("host"), { required: true, maxlength: 255, spellcheck: "false", autocapitalize: "off" }),
    input("port", t("port"), { type: "number", required: true, min: 1, max: 65535, value: 9100, inputmode: "numeric" }),
    control({ name: "size", label: t("label size"), options: LABEL_SIZES() }),
    control({ name: "dpi", label: t("dpi"), options: [[203, "203"], [300, "300"], [600, "600"]] }),
    input("font", t("font"), { required: true, maxlength: 64, value: "E:SIMSUN.TTF", spellcheck: "false", autocapitalize: "off" }),
    status,
    problem,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", "data-action": "save" }, t("save")), cancel));
  const fields = (name) => form.querySelector(`[name="${name}"]`);

  const clearProblem = () => {
    problem.hidden = true;
    problem.textContent = "";
    for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  };
  /** Back to adding a printer: the form empty again (its defaults). */
  const adding = () => {
    editing = null;
    form.reset();
    clearProblem();
    title.textContent = t("add printer");
    fields("warehouse").disabled = false;
    status.hidden = cancel.hidden = true;
    title.focus();
  };
  const edit = (printer) => {
    editing = printer;
    clearProblem();
    title.textContent = `${t("edit printer")} ${printer.name}`;
    fields("warehouse").value = printer.warehouse;
    fields("warehouse").disabled = true;  // a printer stays in its warehouse
    for (const name of ["name", "host", "port", "size", "dpi", "font"]) fields(name).value = String(printer[name]);
    fields("active").value = String(printer.active);
    status.hidden = cancel.hidden = false;
    form.scrollIntoView({ block: "nearest" });
    fields("name").focus();
  };
  // What was typed stays in the form when the server refuses it: the message says what to change, the cursor is there.
  const save = async (event) => {
    event.preventDefault();
    clearProblem();
    const values = Object.fromEntries(new FormData(form));
    const body = { name: values.name.trim(), host: values.host.trim(), port: Number(values.port), size: values.size, dpi: Number(values.dpi),
      font: values.font.trim() };
    const button = form.querySelector("[data-action=save]");
    button.disabled = true;
    let saved;
    try {
      saved = editing
        ? await sync.api(`/api/v1/printers/${editing.id}`,
          { method: "PATCH", body: { ...body, version: editing.version, active: values.active === "true" } })
        : await sync.api("/api/v1/printers", { method: "POST", body: { ...body, warehouse: values.warehouse } });
    } catch (error) {
      button.disabled = false;
      fail(error);
      problem.textContent = said(error);
      problem.hidden = false;
      const field = PRINTER_FIELDS[error.body.error] && fields(PRINTER_FIELDS[error.body.error]);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
      return;
    }
    say("ok", `${t("saved")}: ${saved.name}`);
    if (!showing(here)) return;
    await printers(here, panel);
    panel.querySelector(`tr[data-printer="${saved.id}"] [data-action=test-print]`)?.focus();
  };

  const draw = (printer) => row({ "data-printer": printer.id }, [
    printer.name,
    h("span", { class: "row-actions" },
      h("button", { type: "button", "data-action": "test-print", "aria-label": `${t("test print")} ${printer.name}`,
        onclick: (event) => testPrint(event, printer) }, t("test print")),
      h("button", { type: "button", "data-action": "edit", "aria-label": `${t("edit")} ${printer.name}`, onclick: () => edit(printer) }, t("edit"))),
    printer.warehouse, `${printer.host}:${printer.port}`, printer.font, sizeName(printer.size), num(String(printer.dpi)),
    printer.active ? t("active") : t("inactive"),
  ]);
  // The name and its buttons come first, so on a phone both show without scrolling the table.
  put(panel,
    h("p", { class: "muted" }, t("printer list")),
    list.length
      ? grid([t("name"), t("actions"), t("warehouse"), t("printer address"), t("font"), t("label size"), num(t("dpi")), t("status")],
        list.map(draw), { id: "printer-list" })
      : h("p", { class: "muted", id: "printer-list" }, t("no printers")),
    title, form);
}


const admin = () => may("users.manage");

/** Master data: items, item categories, partners, locations; users and printers for administrators. */
export const sections = {
  items: { draw: items, group: "master", label: () => t("items") },
  partners: { draw: partners, group: "master", label: () => t("partners") },
  locations: { draw: locations, group: "master", label: () => t("locations") },
  categories: { draw: categories, group: "master", label: () => t("categories") },
  users: { draw: users, group: "admin", may: admin, label: () => t("users") },
  printers: { draw: printers, group: "admin", may: admin, label: () => t("printers") },
};
