// Importing a file at the desk (admin): choose what it holds, see the columns it takes, check it (a dry run that writes
// nothing and lists every problem by line), then import it — all of it, or nothing.

import * as sync from "../sync.js";
import { language, said } from "../i18n.js";
import { h, say, showing, saveFile } from "../ui.js";
import { deskTexts, facts, fail, grid, kept, may, num, put, row } from "../desk.js";

const { t } = deskTexts({
  imports: ["导入", "Import"],
  title: ["导入数据", "Import data"],
  intro: ["先检查文件：检查不写入任何内容，并逐行列出问题。检查没有问题后再导入；导入时整个文件要么全部导入，要么什么也不导入。",
    "Check a file first: a check writes nothing and lists every problem by its line. Once the check finds none, import it: the whole file comes in, or nothing does."],
  "what to import": ["导入什么", "What to import"],
  "kind categories": ["商品分类", "Item categories"],
  "kind items": ["商品", "Items"],
  "kind partners": ["往来单位", "Partners"],
  "kind locations": ["库位", "Locations"],
  "kind stock": ["期初库存", "Opening stock"],
  "kind exchange_rates": ["汇率", "Exchange rates"],
  "kind receivables": ["期初应收", "Opening receivables"],
  "kind payables": ["期初应付", "Opening payables"],
  "about categories": ["分类编码（可选：中文名称、英文名称）；先导入分类，商品才能引用它", "Code (optional: names); import them before the items that name them"],
  "about items": ["商品编码、名称（可选：英文名称、单位、追踪方式、保质期、再订货点、条码、商品分类）",
    "SKU and name (optional: English name, unit, tracking, shelf life, reorder point, barcodes, category)"],
  "about partners": ["编码、类型（供应商、客户或两者）（可选：名称、联系人、电话、税号、地址、账期、信用额度）",
    "Code and kind: supplier, customer or both (optional: names, contact, phone, tax ID, address, payment terms, credit limit)"],
  "about locations": ["编码、类型（仓库、库区或货位）（可选：上级库位、名称、待检）；先建仓库，再建库区和货位",
    "Code and kind: warehouse, zone or bin (optional: parent, names, quarantine); warehouses come first, then zones and bins"],
  "about stock": ["商品编码、库位、数量（可选：单位成本、批次、有效期、生产日期、序列号）",
    "SKU, location and quantity (optional: unit cost, lot, expiry, production date, serial numbers)"],
  "about exchange_rates": ["币种、日期、汇率（1 单位外币折合多少人民币）", "Currency, day and rate (yuan for one unit of the currency)"],
  "about receivables": ["客户编码、单据号、单据日期、未结金额（可选：到期日、币种、汇率）",
    "Customer code, document number, document date, open amount (optional: due date, currency, exchange rate)"],
  "about payables": ["供应商编码、单据号、单据日期、未结金额（可选：到期日、币种、汇率）",
    "Supplier code, document number, document date, open amount (optional: due date, currency, exchange rate)"],
  columns: ["文件的列", "Columns of the file"],
  "columns hint": ["第一行是表头：每列可用中文列名、英文字段名或“也可写作”中的名称，顺序不限。可选的列可以不写。",
    "The first row is the header: name each column by its Chinese header, its English field name or one of the other names, in any order. Optional columns may be left out."],
  "column zh": ["中文列名", "Chinese header"],
  "column name": ["英文字段名", "English field name"],
  "column required": ["是否必填", "Required"],
  "column aliases": ["也可写作", "Also read as"],
  required: ["必填", "Required"],
  optional: ["可选", "Optional"],
  template: ["下载模板（CSV）", "Download a template (CSV)"],
  file: ["文件：CSV 或 Excel，最大 20 MB", "File: CSV or Excel, at most 20 MB"],
  check: ["检查", "Check"],
  import: ["导入", "Import"],
  checking: ["正在检查…", "Checking…"],
  importing: ["正在导入…", "Importing…"],
  "choose a file": ["请先选择导入内容和文件", "Choose what to import and a file first"],
  "file changed": ["文件在选择后被修改过，请重新选择文件。", "The file changed after it was chosen: choose it again."],
  "import after check": ["检查没有问题后才能导入这个文件。", "The file can be imported once a check finds no problems in it."],
  "rows read": ["读取行数", "Rows read"],
  "rows to import": ["可导入行数", "Rows that would be imported"],
  "rows imported": ["已导入行数", "Rows imported"],
  problems: ["问题", "Problems"],
  "check clean": ["文件没有问题，可以导入。", "No problems: the file can be imported."],
  "check problems": ["请改正以下问题后再检查一次。有问题的文件不会导入任何内容。",
    "Fix these problems and check the file again: a file with problems imports nothing."],
  "import refused": ["文件中有问题，未导入任何内容：", "The file has problems; nothing was imported:"],
  imported: ["导入完成", "Imported"],
  "problem line": ["行号", "Line"],
  "problem column": ["列", "Column"],
  problem: ["问题", "Problem"],
  "whole file": ["整个文件", "The whole file"],
  "see categories": ["查看商品分类", "See the categories"],
  "see items": ["查看商品", "See the items"],
  "see partners": ["查看往来单位", "See the partners"],
  "see locations": ["查看库位", "See the locations"],
  "see moves": ["查看库存移动", "See the stock moves"],
  "see rates": ["查看汇率", "See the exchange rates"],
  "see opening invoices": ["查看期初应收发票", "See the opening invoices"],
  "see bills": ["查看采购发票", "See the bills"],
  "see ageing ar": ["查看应收账龄", "See the receivables ageing"],
  "see ageing ap": ["查看应付账龄", "See the payables ageing"],
}, "imports");

const KINDS = ["categories", "items", "partners", "locations", "stock", "exchange_rates", "receivables", "payables"];

// Where what a kind imported is seen: [section, text, the list's filters to open it with].
const AFTER = {
  categories: [["categories", "see categories"]],
  items: [["items", "see items"]],
  partners: [["partners", "see partners"]],
  locations: [["locations", "see locations"]],
  stock: [["moves", "see moves"]],
  exchange_rates: [["exchange-rates", "see rates"]],
  receivables: [["invoices", "see opening invoices", { kind: "opening" }], ["ageing", "see ageing ar", { which: "ar" }]],
  payables: [["bills", "see bills"], ["ageing", "see ageing ap", { which: "ap" }]],
};

/** #/office/imports[/<kind>]: the kind chosen (or the one in the address), its columns, a file, its check and import. */
async function imports(here, panel, chosen) {
  let kind = KINDS.includes(chosen) ? chosen : null;
  let checked = null;  // {kind, name, blob}: the bytes of the last check that found nothing wrong, what Import sends
  const columnsOf = new Map();  // kind -> its columns as the server lists them

  const columnsPart = h("section", { id: "import-columns" });
  const result = h("section", { id: "import-result", "aria-live": "polite" });
  const fileInput = h("input", { type: "file", name: "file", accept: ".csv,.xlsx", "data-field": "file", onchange: () => forget() });
  const checkButton = h("button", { type: "submit", class: "primary", "data-action": "check" }, t("check"));
  const importButton = h("button", { type: "button", "data-action": "import", disabled: true, onclick: () => send(false) }, t("import"));
  const waiting = h("small", { class: "muted", "data-field": "import-hint" }, t("import after check"));

  /** What was checked no longer stands: another file or kind was chosen. */
  const forget = () => {
    checked = null;
    importButton.disabled = true;
    waiting.hidden = false;
    put(result);
  };

  const choose = (event) => {
    kind = event.currentTarget.value;
    forget();
    showColumns();
  };
  const kinds = h("fieldset", { id: "import-kinds", "data-field": "kind" }, h("legend", {}, t("what to import")),
    KINDS.map((k) => h("label", { class: "check", "data-kind": k },
      h("input", { type: "radio", name: "kind", value: k, checked: k === kind, onchange: choose }),
      h("span", {}, h("strong", {}, t(`kind ${k}`)), h("br"), h("small", { class: "muted" }, t(`about ${k}`))))));

  const showColumns = async () => {
    if (!kind) return put(columnsPart);
    const mine = kind;
    let answer = columnsOf.get(mine);
    if (!answer) {
      columnsPart.setAttribute("aria-busy", "true");
      try {
        answer = await sync.api(`/api/v1/import/${mine}/columns`);
      } catch (error) {
        if (showing(here) && kind === mine) {
          fail(error);
          columnsPart.removeAttribute("aria-busy");
          put(columnsPart, h("p", { class: "muted" }, said(error)));
        }
        return;
      }
      columnsOf.set(mine, answer);
    }
    if (!showing(here) || kind !== mine) return;  // another kind was chosen meanwhile
    columnsPart.removeAttribute("aria-busy");
    put(columnsPart,
      h("h4", {}, `${t("columns")} · ${t(`kind ${mine}`)}`),
      h("p", { class: "muted" }, t("columns hint")),
      grid([t("column zh"), t("column name"), t("column required"), t("column aliases")],
        answer.columns.map((c) => row({ "data-column": c.name, class: c.required ? "required" : null },
          [c.zh, c.name, t(c.required ? "required" : "optional"), { text: c.aliases.join("、"), wrap: true }])), { id: "import-column-list" }),
      h("p", {}, h("button", { type: "button", "data-action": "template", onclick: () => template(mine, answer.columns) }, t("template"))));
  };

  /** While a file is with the server, what it is about stays as it is: the kind, the file and both buttons. */
  const busy = (on) => {
    kinds.disabled = fileInput.disabled = checkButton.disabled = on;
    importButton.disabled = on || checked === null;
    result.toggleAttribute("aria-busy", on);
  };

  /** Check the chosen file (a dry run), or import the one checked; the report, or the refusal, below. */
  const send = async (dryRun) => {
    let upload = checked;
    if (dryRun) {
      const file = fileInput.files[0];
      if (!kind || !file) return say("error", t("choose a file"));
      try {
        // The bytes checked are the bytes imported: a file changed on the disk after its check must be checked again.
        upload = { kind, name: file.name, blob: new Blob([await file.arrayBuffer()], { type: file.type }) };
      } catch {
        fileInput.value = "";  // so that choosing the same file again counts as a choice
        forget();
        return say("error", t("file changed"));
      }
    }
    if (!upload) return;
    const body = new FormData();
    body.append("file", upload.blob, upload.name);
    busy(true);
    put(result, h("p", { class: "muted" }, t(dryRun ? "checking" : "importing")));
    let report;
    try {
      report = await sync.api(`/api/v1/import/${upload.kind}`, { method: "POST", params: { dry_run: String(dryRun) }, body });
    } catch (error) {
      if (!showing(here)) return;
      busy(false);
      const refused = error.body?.details?.report;
      if (refused) {  // a real run found problems its check did not (what is in the books changed meanwhile): nothing written
        forget();
        say("error", t("import refused"));
        return put(result, h("p", { class: "form-error", role: "alert", "data-field": "refused" }, t("import refused")), problemList(refused));
      }
      fail(error);
      return put(result, h("p", { class: "form-error", role: "alert" }, said(error)));
    }
    if (!showing(here)) return;
    busy(false);
    if (dryRun) {
      const clean = report.errors.length === 0 && report.rows > 0;
      checked = clean ? upload : null;
      importButton.disabled = !clean;
      waiting.hidden = clean;
      put(result, checkReport(report, clean));
      (clean ? importButton : result.querySelector("h4")).focus();
    } else {
      checked = null;  // imported: the same file again would only be refused as already there
      importButton.disabled = true;
      waiting.hidden = false;
      say("ok", `${t("imported")} · ${t(`kind ${upload.kind}`)}`);
      put(result, importReport(report));
      result.querySelector("h4").focus();
    }
  };

  const form = h("form", { class: "filters", id: "import-form", onsubmit: (event) => {
    event.preventDefault();
    send(true);
  } },
  h("label", {}, t("file"), fileInput),
  h("div", { class: "actions" }, checkButton, importButton, waiting));

  put(panel,
    h("h3", {}, t("title")),
    h("p", { class: "muted" }, t("intro")),
    kinds,
    columnsPart,
    form,
    result);
  await showColumns();
}

/** A check's report: how many rows were read and would come in, and every problem on its line and column. */
function checkReport(report, clean) {
  return [
    h("h4", { tabindex: "-1" }, `${t("check")} · ${t(`kind ${report.kind}`)}`),
    facts([[t("rows read"), String(report.rows), { "data-field": "rows" }], [t("rows to import"), String(report.created), { "data-field": "created" }],
      [t("problems"), String(report.errors.length), { "data-field": "problems" }]]),
    clean ? h("p", { "data-field": "clean", role: "status" }, t("check clean"))
      : [h("p", { class: "form-error", "data-field": "fix" }, t("check problems")), problemList(report)],
  ];
}

/** What a real run imported, with links to where it now shows. */
function importReport(report) {
  return [
    h("h4", { tabindex: "-1" }, `${t("imported")} · ${t(`kind ${report.kind}`)}`),
    facts([[t("rows read"), String(report.rows), { "data-field": "rows" }], [t("rows imported"), String(report.created), { "data-field": "created" }]]),
    h("p", { class: "actions", "data-field": "after" }, AFTER[report.kind].map(([section, label, filters]) =>
      h("a", { href: `#/office/${section}`, class: "button", "data-section": section,
        // The list opens filtered to what came in (the opening invoices), as if its filters had been set by hand.
        onclick: filters ? () => kept.set(section, { values: { ...filters }, offset: 0 }) : null }, t(label)))),
  ];
}

function problemList(report) {
  const zh = language() === "zh";
  return grid([num(t("problem line")), t("problem column"), t("problem")],
    report.errors.map((p) => row({ "data-line": p.line, "data-code": p.code }, [
      num(p.line ? String(p.line) : t("whole file")), p.column || "", { text: zh ? p.message_zh : p.message_en, wrap: true }])),
    { id: "import-problems" });
}

/** An empty file of a kind, its Chinese headers in the first row, to fill in (Excel opens a CSV with a BOM as UTF-8). */
function template(kind, columns) {
  const line = columns.map((c) => c.zh).join(",");
  saveFile({ blob: new Blob([`\ufeff${line}\r\n`], { type: "text/csv;charset=utf-8" }), name: `import-${kind}.csv` });
}

/** The back office's import section, with the administrators'. */
export const sections = {
  imports: { draw: imports, group: "admin", may: () => may("masterdata.import"), label: () => t("imports") },
};
