// Printing a document from its page: a link that opens the document's PDF in a new tab, in the language the desk is in.
// The browser's session cookie signs the request in (as it does the live socket's), so a plain link is enough: the
// browser's own PDF viewer shows it under its own name, ready to print or save.

import { language } from "../i18n.js";
import { h } from "../ui.js";
import { deskTexts } from "../desk.js";

const { t } = deskTexts({
  print: ["打印", "Print"],
  "opens in a new tab": ["在新标签页中打开 PDF", "Opens the PDF in a new tab"],
}, "print");

/**
 * A "Print" link to a document's PDF, opening in a new tab: `path` is the API's (/api/v1/invoices/INV-2026-00001/pdf),
 * `label` what the link says (打印 / Print unless told).
 */
export function printLink(path, label = t("print")) {
  const url = new URL(path, location.origin);
  url.searchParams.set("lang", language() === "zh" ? "zh" : "en");
  return h("p", { class: "actions print" },
    h("a", { href: url.pathname + url.search, target: "_blank", rel: "noopener", class: "button", "data-action": "print",
      title: t("opens in a new tab") },
      h("span", { "aria-hidden": "true" }, "🖨 "), label));
}
