// The back office on wide screens: items, partners, locations, purchase and sales documents, reports with charts.

import { addText, t } from "./i18n.js";
import { h, screen, working } from "./ui.js";

addText({
  office: ["后台", "Back office"],
});

/** #/office/<section>/<arg>: the section's list, or one record of it. */
export async function office(current, section, ...rest) {
  working(null);
  screen(t("office"), h("p", { class: "muted" }, section || ""));
}
