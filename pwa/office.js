// The back office on wide screens: the menu of sections, each drawn by its module under desk/.

import { addText, t as text } from "./i18n.js";
import { h, screen, working } from "./ui.js";
import { deskTexts, setCurrent, t } from "./desk.js";
import * as masterData from "./desk/masterdata.js";
import * as purchasing from "./desk/purchasing.js";
import * as planning from "./desk/planning.js";
import * as sales from "./desk/sales.js";
import * as contracts from "./desk/contracts.js";
import * as service from "./desk/service.js";
import * as stock from "./desk/stock.js";
import * as finance from "./desk/finance.js";
import * as reports from "./desk/reports.js";
import * as imports from "./desk/imports.js";
import * as integrations from "./desk/integrations.js";
import * as approvals from "./desk/approvals.js";

const TEXTS = {
  items: ["商品", "Items"],
  partners: ["往来单位", "Partners"],
  locations: ["库位", "Locations"],
  "purchase-orders": ["采购订单", "Purchase orders"],
  "sales-orders": ["销售订单", "Sales orders"],
  sections: ["后台栏目", "Back office sections"],
  "group master": ["基础资料", "Master data"],
  "group purchasing": ["采购", "Purchasing"],
  "group sales": ["销售", "Sales"],
  "group stock": ["库存", "Stock"],
  "group finance": ["财务", "Finance"],
  "group reports": ["报表", "Reports"],
  "group admin": ["系统管理", "Administration"],
  search: ["搜索", "Search"],
  find: ["查找", "Find"],
  all: ["全部", "All"],
  status: ["状态", "Status"],
  active: ["启用", "Active"],
  inactive: ["停用", "Inactive"],
  "nothing found": ["没有找到记录", "Nothing found"],
  loading: ["正在加载…", "Loading…"],
  previous: ["上一页", "Previous"],
  next: ["下一页", "Next"],
  pages: ["翻页", "Pages"],
  history: ["历史记录", "History"],
  "no history": ["没有记录", "Nothing recorded yet"],
  when: ["时间", "When"],
  who: ["操作人", "Who"],
  what: ["操作", "What"],
  details: ["内容", "Details"],
  "export xlsx": ["导出 Excel", "Save as Excel"],
  "export csv": ["导出 CSV", "Save as CSV"],
  "export too large": ["超过 {n} 行，请缩小筛选范围后再导出", "More than {n} rows: narrow the filters to save the list"],
  more: ["显示更多", "Show more"],
  back: ["返回列表", "Back to the list"],
  sku: ["SKU", "SKU"],
  name: ["名称", "Name"],
  "name zh": ["中文名称", "Chinese name"],
  "name en": ["英文名称", "English name"],
  unit: ["单位", "Unit"],
  decimals: ["数量小数位", "Quantity decimals"],
  tracking: ["追踪方式", "Tracking"],
  "tracking none": ["不追踪", "None"],
  "tracking lot": ["按批次", "By lot"],
  "tracking serial": ["按序列号", "By serial number"],
  "shelf life": ["保质期（天）", "Shelf life (days)"],
  "reorder point": ["再订货点", "Reorder point"],
  "reorder qty": ["再订货量", "Reorder quantity"],
  vat: ["增值税率 %", "VAT %"],
  version: ["版本", "Version"],
  barcodes: ["条码", "Barcodes"],
  barcode: ["条码", "Barcode"],
  pack: ["包装", "Pack"],
  "pack qty": ["每包数量", "Quantity per pack"],
  "pack each": ["单件", "each"],
  gtin: ["GTIN", "GTIN"],
  stock: ["库存", "Stock"],
  "print label": ["打印标签（PDF）", "Print label (PDF)"],
  downloaded: ["已下载", "Downloaded"],
  warehouse: ["仓库", "Warehouse"],
  location: ["库位", "Location"],
  lot: ["批次", "Lot"],
  expiry: ["有效期至", "Expiry"],
  "on hand": ["现存量", "On hand"],
  reserved: ["已预留", "Reserved"],
  available: ["可用量", "Available"],
  code: ["编码", "Code"],
  kind: ["类型", "Kind"],
  "kind supplier": ["供应商", "Supplier"],
  "kind customer": ["客户", "Customer"],
  "kind both": ["供应商兼客户", "Supplier and customer"],
  "kind warehouse": ["仓库", "Warehouse"],
  "kind zone": ["库区", "Zone"],
  "kind bin": ["货位", "Bin"],
  "kind virtual": ["虚拟库位", "Virtual"],
  contact: ["联系人", "Contact"],
  contacts: ["联系人", "Contacts"],
  role: ["职务", "Role"],
  phone: ["电话", "Phone"],
  email: ["邮箱", "Email"],
  "tax id": ["税号", "Tax ID"],
  address: ["地址", "Address"],
  terms: ["账期（天）", "Payment terms (days)"],
  currency: ["币种", "Currency"],
  "price list": ["价目表", "Price list"],
  "credit limit": ["信用额度", "Credit limit"],
  credit: ["信用", "Credit"],
  receivables: ["未收应收款", "Open receivables"],
  "open orders": ["未结订单", "Open orders"],
  exposure: ["信用占用", "Exposure"],
  "available credit": ["可用额度", "Available credit"],
  "no limit": ["不限", "No limit"],
  quarantine: ["待检/隔离", "Quarantine"],
  "label size": ["标签尺寸", "Label size"],
  "usual size": ["默认尺寸", "Usual size"],
  "a4 sheet": ["A4 纸（3×8）", "A4 sheet (3×8)"],
  "print bin labels": ["打印货位标签", "Print bin labels"],
  "location tree": ["仓库 > 库区 > 货位", "Warehouse > zone > bin"],
  number: ["单号", "Number"],
  supplier: ["供应商", "Supplier"],
  customer: ["客户", "Customer"],
  expected: ["预计到货", "Expected"],
  created: ["创建时间", "Created"],
  at: ["时间", "Time"],
  "created by": ["创建人", "Created by"],
  note: ["备注", "Note"],
  total: ["合计", "Total"],
  subtotal: ["不含税金额", "Subtotal"],
  tax: ["税额", "Tax"],
  lines: ["明细", "Lines"],
  line: ["行", "Line"],
  qty: ["数量", "Quantity"],
  price: ["单价", "Unit price"],
  net: ["金额", "Net"],
  received: ["已收", "Received"],
  accepted: ["合格", "Accepted"],
  billed: ["已开票", "Billed"],
  picked: ["已拣", "Picked"],
  packed: ["已包装", "Packed"],
  shipped: ["已发货", "Shipped"],
  invoiced: ["已开票", "Invoiced"],
  returned: ["已退货", "Returned"],
  approvals: ["审批记录", "Approvals"],
  decision: ["审批结果", "Decision"],
  comment: ["意见", "Comment"],
  "approval roles": ["审批层级", "Approval levels"],
  versions: ["版本", "Versions"],
  "changes in": ["本版本的变化", "What this version changed"],
  "first version": ["第一版，没有之前的版本", "The first version: nothing before it"],
  field: ["字段", "Field"],
  before: ["原值", "Before"],
  after: ["新值", "After"],
  "ship to": ["收货地址", "Ship to"],
  "credit released by": ["超信用放行人", "Credit released by"],
  "backorder of": ["欠货来源订单", "Backorder of"],
  backorders: ["欠货单", "Backorders"],
  backordered: ["转欠货", "Backordered"],
  cancelled: ["已取消", "Cancelled"],
  packages: ["包装", "Packages"],
  sscc: ["SSCC", "SSCC"],
  weight: ["重量（kg）", "Weight (kg)"],
  contents: ["内容", "Contents"],
  value: ["金额", "Value"],
  yes: ["是", "Yes"],
  no: ["否", "No"],
  "state draft": ["草稿", "Draft"],
  "state pending": ["待审批", "Pending approval"],
  "state approved": ["已审批", "Approved"],
  "state rejected": ["已驳回", "Rejected"],
  "state partially_received": ["部分收货", "Partially received"],
  "state received": ["已收货", "Received"],
  "state confirmed": ["已确认", "Confirmed"],
  "state picking": ["拣货中", "Picking"],
  "state packed": ["已包装", "Packed"],
  "state shipped": ["已发货", "Shipped"],
  "state invoiced": ["已开票", "Invoiced"],
  "state closed": ["已关闭", "Closed"],
  "state cancelled": ["已取消", "Cancelled"],
  "role admin": ["管理员", "Administrator"],
  "role purchaser": ["采购员", "Purchaser"],
  "role approver": ["审批人", "Approver"],
  "role director": ["总监", "Director"],
  "role warehouse": ["仓库员", "Warehouse staff"],
  "role sales": ["销售员", "Salesperson"],
  "role finance": ["财务", "Finance"],
  "role viewer": ["只读用户", "Viewer"],
  "decision approved": ["同意", "Approved"],
  "decision rejected": ["驳回", "Rejected"],
  users: ["用户", "Users"],
  username: ["用户名", "Username"],
  roles: ["角色", "Roles"],
  "sign in": ["登录", "Sign-in"],
  "not locked": ["正常", "Not locked"],
  "locked until": ["锁定至", "Locked until"],
  "locked accounts": ["因登录失败过多被锁定的账号", "Accounts locked after too many failed sign-ins"],
  "no locked accounts": ["没有被锁定的账号", "No account is locked"],
  unlock: ["解锁", "Unlock"],
  unlocked: ["已解锁", "Unlocked"],
  printers: ["标签打印机", "Printers"],
  "printer list": ["各仓库的标签打印机", "Label printers of each warehouse"],
  "no printers": ["还没有标签打印机", "No label printer yet"],
  "printer address": ["地址", "Address"],
  host: ["主机（IP 地址或主机名）", "Host (IP address or name)"],
  port: ["端口", "Port"],
  font: ["中文字体", "Chinese font"],
  dpi: ["分辨率（dpi）", "Resolution (dpi)"],
  actions: ["操作", "Actions"],
  "add printer": ["添加标签打印机", "Add a label printer"],
  "edit printer": ["修改标签打印机", "Change label printer"],
  edit: ["修改", "Edit"],
  save: ["保存", "Save"],
  cancel: ["取消", "Cancel"],
  saved: ["已保存", "Saved"],
  "test print": ["打印测试标签", "Test print"],
  "test printing": ["正在打印测试标签…", "Printing a test label…"],
  "test printed": ["测试标签已发送到", "Test label sent to"],
};
addText({ office: ["后台", "Back office"] });
deskTexts(TEXTS);

// Every section of the back office, from the modules that draw them: {key: {draw(here, panel, ...path), group, may()}}. The
// menu shows those the signed-in user may use, in this order (the server refuses the others anyway).
const SECTIONS = {
  ...masterData.sections,
  ...purchasing.sections,
  ...planning.sections,
  ...sales.sections,
  ...contracts.sections,
  ...service.sections,
  ...stock.sections,
  ...finance.sections,
  ...reports.sections,
  ...imports.sections,
  ...integrations.sections,
  ...approvals.sections,
};
const title = (key) => (SECTIONS[key].label ? SECTIONS[key].label() : t(key));
const sectionsOf = () => Object.keys(SECTIONS).filter((key) => !SECTIONS[key].may || SECTIONS[key].may());
// The menu in groups, each a disclosure: the current section's group is open, and so stay those the user opened.
const GROUPS = ["master", "purchasing", "sales", "stock", "finance", "reports", "admin"];
const opened = new Set();

/** #/office/<section>/<arg>: the section's list, or one record of it. */
export async function office(current, section, ...rest) {
  working(null);
  setCurrent(current);
  const here = location.hash;
  const name = sectionsOf().includes(section) ? section : sectionsOf()[0];
  const before = document.activeElement;
  const inNav = before?.closest?.(".office-nav");
  const fromNav = inNav ? before.dataset.nav || null : null;
  const fromGroup = inNav && !fromNav ? before.closest("details")?.dataset.group : null;
  const fromContent = before?.closest?.("#app") && !inNav;
  const panel = h("section", { class: "office-body", id: "office-body", "aria-busy": "true" }, h("p", { class: "muted" }, t("loading")));
  const visible = sectionsOf();
  const nav = h("nav", { class: "office-nav", "aria-label": t("sections") }, GROUPS.map((group) => {
    const keys = visible.filter((key) => SECTIONS[key].group === group);
    if (!keys.length) return null;
    const details = h("details", { class: "nav-group", "data-group": group, open: group === SECTIONS[name].group || opened.has(group) },
      h("summary", {}, t(`group ${group}`)),
      keys.map((key) => h("a", { href: `#/office/${key}`, "data-nav": key, "aria-current": key === name ? "page" : null }, title(key))));
    // Kept open when the user opens it (the current section's group is open anyway, and drawing it open is no choice).
    details.addEventListener("toggle", () => {
      if (group !== SECTIONS[name].group) (details.open ? opened.add(group) : opened.delete(group));
    });
    return details;
  }));
  screen(`${text("office")} · ${title(name)}`, h("div", { class: "office" }, nav, panel));
  // Redrawing removed what had the focus: give it back where a keyboard user expects it.
  if (fromNav) nav.querySelector(`[data-nav="${fromNav}"]`)?.focus();
  else if (fromGroup) nav.querySelector(`[data-group="${fromGroup}"] summary`)?.focus();
  else if (fromContent) focusHeading();
  await SECTIONS[name].draw(here, panel, ...rest.filter((part) => part !== ""));
  panel.removeAttribute("aria-busy");
}

function focusHeading() {
  const heading = document.querySelector("#app h2");
  heading.tabIndex = -1;
  heading.focus();
}
