// Every text a person reads, in Chinese and English, shown one language at a time. A first visit follows the browser;
// the user's own choice (kept on the device and by the server) wins from then on.

const TEXT = {
  "sign in": ["登录", "Sign in"],
  username: ["用户名", "Username"],
  password: ["密码", "Password"],
  totp: ["验证码（6 位）", "Code (6 digits)"],
  "sign out": ["退出", "Sign out"],
  language: ["English", "中文"],
  warehouse: ["仓库", "Warehouse"],
  receive: ["收货", "Receive"],
  scan: ["扫码查询", "Scan"],
  stock: ["库存查询", "Stock"],
  issues: ["待处理问题", "Issues"],
  "pending ops": ["待上传", "pending"],
  synced: ["已同步", "synced"],
  offline: ["离线", "offline"],
  "last sync": ["上次同步", "last sync"],
  never: ["从未", "never"],
  "open orders": ["待收货采购订单", "Orders to receive"],
  "no orders": ["没有待收货的订单（联网时会更新）", "No orders to receive (updated when online)"],
  ordered: ["订购", "Ordered"],
  received: ["已收", "Received"],
  "to send": ["待上传", "To send"],
  "scan an item": ["扫描商品条码收货", "Scan an item to receive it"],
  "not on order": ["此订单没有该商品", "This item is not on the order"],
  "over receipt": ["超出订购数量（允许 5%）", "More than ordered (5 % allowed)"],
  "unknown code": ["未知条码", "Unknown code"],
  "received one": ["已收货", "Received"],
  "counted here": ["本次已点", "counted here"],
  "set qty": ["设为此数量", "Set the count"],
  "count only goes up": ["数量只能增加；已点", "The count can only go up; already counted"],
  "new lot": ["新批次", "New lot"],
  "lot asked once": ["请输入或扫描批号（每批只问一次）", "type or scan the lot (asked once per lot)"],
  "scan the lot": ["这是商品条码：请扫描或输入批号", "That is an item code: scan or type the lot"],
  "receiving done": ["收货完成", "Receiving done"],
  "send scans first": ["还有扫描未上传：联网后再完成收货", "Some scans are not sent yet: finish receiving once online"],
  "nothing received yet": ["此订单还没有收货", "Nothing received on this order yet"],
  "inspect each line": ["逐行验收：合格或拒收（拒收须填数量和原因）", "Inspect each line: accept it, or reject a quantity with its reason"],
  "qc accept": ["合格", "Accept"],
  "qc reject": ["拒收", "Reject"],
  "qc accepted": ["合格", "accepted"],
  "qc rejecting": ["拒收", "rejecting"],
  "rejected qty": ["拒收数量", "Quantity rejected"],
  "reject reason": ["拒收原因", "Reason"],
  "reject needs reason": ["拒收时请填写原因", "Say why the goods are rejected"],
  "complete receipt": ["确认完成收货", "Complete the receipt"],
  "back to scanning": ["继续扫描", "Back to scanning"],
  "receipt completed": ["收货单已完成", "Receipt completed"],
  lot: ["批号", "Lot"],
  expiry: ["有效期", "Expiry"],
  ok: ["确定", "OK"],
  cancel: ["取消", "Cancel"],
  item: ["商品", "Item"],
  location: ["库位", "Location"],
  "on hand": ["在库", "On hand"],
  available: ["可用", "Available"],
  reserved: ["已预留", "Reserved"],
  "as of": ["数据时间", "As of"],
  back: ["返回", "Back"],
  "sync now": ["立即同步", "Sync now"],
  "bad sign in": ["用户名或密码错误", "Wrong username or password"],
  retry: ["重试", "Retry"],
  discard: ["放弃", "Discard"],
  "state conflict": ["冲突", "conflict"],
  "state rejected": ["被拒绝", "refused"],
  "state applied_with_exception": ["已执行，有差异", "done, with a difference"],
  "book had": ["账面可用", "book had"],
  taken: ["实际取出", "taken"],
  shortfall: ["差异", "difference"],
  "recount doc": ["复盘单", "recount"],
  noted: ["知道了", "Noted"],
  "review current": ["审阅当前版本", "Review the current version"],
  edit: ["修改", "Edit"],
  keep: ["保留", "Keep"],
  "send again": ["重新发送", "Send again"],
  "sent again": ["已重新发送", "Sent again"],
  "field qty": ["数量", "Quantity"],
  "field location": ["库位", "Location"],
  "field from": ["从库位", "From"],
  "field to": ["到库位", "To"],
  "field lot": ["批号", "Lot"],
  "field short_reason": ["少拣原因", "Short-pick reason"],
  "field comment": ["意见", "Comment"],
  "scan anything": ["扫码识别", "Scan anything"],
  "scan anything hint": ["扫描任何条码：商品、库位、批次、GS1 或单号", "Scan any code: an item, a bin, a lot, GS1 or a document number"],
  "none here": ["本仓库没有此商品的库存", "None of it in this warehouse"],
  "bin empty": ["此库位是空的", "This bin is empty"],
  "print label": ["打印标签", "Print label"],
  "print lot labels": ["打印批次标签", "Print lot labels"],
  "print box labels": ["打印箱标签", "Print box labels"],
  printed: ["已打印", "Printed"],
  "labels ready": ["标签 PDF 已生成", "Label PDF ready"],
  "needs network": ["需要联网", "Needs the network"],
  "transfer from here": ["从此库位移库", "Move stock from here"],
  "count this bin": ["盘点此库位", "Count this bin"],
  quarantine: ["隔离", "quarantine"],
  "gs1 unknown item": ["GS1 条码，商品不在目录中", "A GS1 code for an item not in the catalog"],
  field: ["字段", "Field"],
  value: ["值", "Value"],
  pack: ["包装发货", "Pack & ship"],
  "no orders to pack": ["没有待包装的订单（联网时会更新）", "No orders to pack (updated when online)"],
  "status picking": ["拣货中", "picking"],
  "status packed": ["已包装", "packed"],
  packed: ["已包装", "Packed"],
  "this box": ["本箱", "This box"],
  boxes: ["箱", "boxes"],
  closed: ["已封箱", "closed"],
  sent: ["已上传", "sent"],
  weight: ["重量（公斤）", "Weight (kg)"],
  "close box": ["封箱", "Close the box"],
  "send packing": ["提交装箱", "Send the packing"],
  ship: ["发货", "Ship"],
  shipped: ["已发货", "Shipped"],
  "box empty": ["箱子是空的：先扫描商品", "The box is empty: scan items first"],
  "send boxes first": ["先提交装箱", "Send the packing first"],
  "not all packed": ["还有已拣未装箱的商品", "Some picked goods are not packed yet"],
  "nothing left to pack": ["已全部装箱", "nothing left to pack"],
  "short to ship": ["以下商品未拣足，其余部分怎么办？", "Not everything was picked. What becomes of the rest?"],
  "ship and backorder": ["发货并保留欠货单", "Ship and keep a backorder"],
  "ship and cancel the rest": ["发货并取消其余", "Ship and cancel the rest"],
  "rest backorder": ["其余转为欠货单", "the rest kept on a backorder"],
  "rest cancel": ["其余已取消", "the rest cancelled"],
  "discard?": ["确定放弃此操作？服务器不会收到它。", "Discard this operation? The server will not get it."],
  "no issues": ["没有问题", "No issues"],
  loading: ["正在下载数据…", "Loading data…"],
  pick: ["拣货", "Pick"],
  putaway: ["上架", "Put away"],
  "nothing to put away": ["没有待上架的货物（联网时会更新）", "Nothing to put away (updated when online)"],
  "to put away": ["项待上架", "to put away"],
  from: ["从", "From"],
  suggested: ["建议库位", "Suggested bin"],
  "scan the bin to confirm": ["扫描库位确认上架", "Scan the bin to confirm"],
  "not a bin": ["不是库位", "Not a bin"],
  "not the suggested bin": ["不是建议库位", "not the suggested bin"],
  transfer: ["移库", "Transfer"],
  "scan the from bin": ["请扫描移出库位", "Scan the bin to take from"],
  "scan the items": ["请扫描商品", "Scan the items"],
  "scan the to bin": ["继续扫描商品，或扫描移入库位完成", "Scan more items, or the bin to put them in"],
  "same bin": ["移入库位与移出库位相同", "That is the same bin"],
  moved: ["已移库", "Moved"],
  lines: ["行", "lines"],
  // Receiving a transfer from another warehouse on the phone (screens/transfer_in.js).
  "transfers in": ["调拨入库", "Transfers in"],
  "no transfers in": ["没有发往本仓库的在途调拨单（联网时会更新）", "No transfers on their way here (updated when online)"],
  "transfer in": ["调拨入库", "Receive transfer"],
  "waiting to send": ["已确认，等待上传", "Confirmed, waiting to be sent"],
  "not in transit": ["此调拨单已不在途（已入库或已取消）", "This transfer is no longer in transit (received or cancelled)"],
  "receive into": ["入库库位", "Receive into"],
  "no bin yet": ["请扫描入库库位", "Scan the bin to receive into"],
  "scan bin or items": ["扫描入库库位（或使用建议库位），再逐件扫描商品", "Scan the bin to receive into (or keep the suggested one), then each item"],
  "expected qty": ["应到", "Expected"],
  scanned: ["已扫", "Scanned"],
  "transfer done": ["扫描完毕", "Everything scanned"],
  "which lot": ["此商品有多个批次：请扫描批次标签或选择批次", "This item came in several lots: scan the lot label or choose one"],
  "more than shipped": ["超出发出数量", "More than was shipped"],
  "serials or codes": ["此商品请统一扫描序列号或统一扫描商品条码", "Count this item either by its serial numbers or by its item code"],
  "not on transfer": ["此调拨单没有该商品", "This item is not on the transfer"],
  "lot not on transfer": ["此调拨单没有该批次", "This lot is not on the transfer"],
  "serial not on transfer": ["此序列号不在调拨单上", "This serial number is not on the transfer"],
  "serial scanned": ["此序列号已扫描", "This serial number was scanned already"],
  "bin elsewhere": ["不是本仓库的库位", "Not a bin of this warehouse"],
  "short lines": ["以下商品少到：请逐行说明原因", "Less arrived than was shipped: say why for each line short"],
  "all arrived": ["全部到齐", "Everything arrived"],
  "short by": ["少到", "short"],
  "why short": ["少到原因", "Why less arrived"],
  "short needs note": ["少到的商品请说明原因", "Say why less arrived"],
  "confirm transfer": ["确认入库", "Confirm the receipt"],
  "transfer received": ["调拨已入库", "Transfer received"],
  count: ["盘点", "Count"],
  "no counts": ["没有进行中的盘点", "No stocktake in progress"],
  recount: ["需复盘", "Count again"],
  "bin done": ["本库位盘完", "Bin done"],
  counted: ["已盘点", "counted"],
  approvals: ["审批", "Approvals"],
  review: ["查看", "Review"],
  "no approvals": ["没有待审批的单据", "Nothing to approve"],
  requisition: ["请购单", "Requisition"],
  "requested by": ["申请人", "Requested by"],
  "needed by": ["需求日期", "Needed by"],
  supplier: ["供应商", "Supplier"],
  note: ["备注", "Note"],
  approve: ["批准", "Approve"],
  reject: ["驳回", "Reject"],
  approved: ["已批准", "Approved"],
  rejected: ["已驳回", "Rejected"],
  comment: ["意见", "Comment"],
  "reject needs comment": ["驳回时请填写意见", "Say why you reject it"],
  "changed since": ["与上一版相比的变化", "Changed since the last version"],
  "no changes": ["没有变化", "No changes"],
  "change line added": ["第 {n} 行新增：{what}", "Line {n} added: {what}"],
  "change line removed": ["第 {n} 行删除：{what}", "Line {n} removed: {what}"],
  "change line goods": ["{sku} × {qty}", "{sku} × {qty}"],
  "change line goods at": ["{sku} × {qty}，单价 {price}", "{sku} × {qty} at {price}"],
  "change in line": ["第 {n} 行：", "Line {n}: "],
  "change in line of": ["第 {n} 行（{sku}）：", "Line {n} ({sku}): "],
  "change supplier": ["供应商", "Supplier"],
  "change expected_date": ["预计到货日期", "Expected date"],
  "change note": ["备注", "Note"],
  "change total": ["合计", "Total"],
  "change sku": ["商品", "item"],
  "change qty": ["数量", "quantity"],
  "change unit_price": ["单价", "price"],
  "change vat_rate": ["税率", "VAT"],
  line: ["行", "line"],
  price: ["单价", "Price"],
  net: ["金额", "Net"],
  // The back office's units and discounts on order, quote, bill and invoice lines (desk/purchasing.js, desk/sales.js),
  // read there through the desk's t() as "unit", "discount", …
  "office.discount": ["折扣 %", "Discount %"],
  "office.order discount": ["整单折扣 %", "Order discount %"],
  "office.discount hint": ["对每一行再打的折扣，留空为不打折", "Off every line, on top of its own; empty: none"],
  "office.item unit": ["商品单位", "The item's unit"],
  "office.below cost": ["低于成本", "Below cost"],
  "office.below cost title": ["低于成本销售", "Selling below cost"],
  "office.below cost lines": ["扣除折扣后售价低于商品平均成本的行：", "Lines whose price, net of discounts, is below the item's average cost:"],
  "office.below cost line": ["第 {n} 行（{sku}）", "line {n} ({sku})"],
  "office.below cost admin only": ["只有管理员可以确认这张订单：请修改单价或折扣，或请管理员确认。",
    "Only an administrator may confirm this order: change the price or the discount, or ask an administrator to confirm it."],
  "office.below cost you may": ["您可以照样确认：确认人会记录在订单上。", "You may confirm it anyway: the order records who confirmed it."],
  "office.below cost refused": ["未确认：低于成本销售", "Not confirmed: it sells below cost"],
  "office.below cost confirmed by": ["低于成本确认人", "Below cost confirmed by"],
  "no camera": ["无法使用相机", "The camera cannot be used"],
  picked: ["已拣", "Picked"],
  "no picks": ["没有待拣的任务（联网时会更新）", "Nothing to pick (updated when online)"],
  "to pick": ["项待拣", "to pick"],
  "scan the bin": ["请扫描库位", "Scan the bin"],
  "scan the item": ["请扫描商品", "Scan the item"],
  "confirm the qty": ["确认数量", "Confirm the quantity"],
  "wrong bin": ["库位不对", "Wrong bin"],
  "wrong item": ["商品不对", "Wrong item"],
  qty: ["数量", "Quantity"],
  confirm: ["确认", "Confirm"],
  "short reason": ["少拣原因", "Reason for a short pick"],
  "short needs reason": ["少拣时请填写原因", "A short pick needs a reason"],
  "bad qty": ["数量无效", "Not a valid quantity"],
  "app name": ["仓库", "Cangku"],
  home: ["首页", "Home"],
  "scan or type": ["扫码或输入", "Scan or type"],
  "scan field": ["扫码", "Scan"],
  "scan with the camera": ["相机扫码", "Scan with the camera"],
  "close the camera": ["关闭相机", "Close the camera"],
  "camera refused": ["没有使用相机的权限", "The camera is not allowed"],
  "request failed": ["请求失败", "The request failed"],
  "cancel reason": ["取消其余的原因（可选）", "Reason for cancelling the rest (optional)"],
};

/** The browser's language: Chinese when the language it asks for first is Chinese, else English. */
export function browserLanguage() {
  const asked = navigator.languages?.length ? navigator.languages : [navigator.language || ""];
  return asked[0].toLowerCase().startsWith("zh") ? "zh" : "en";
}

let lang = browserLanguage();

/** Texts a module brings along ({key: [zh, en]}), kept next to the screens that show them. */
export function addText(texts) {
  Object.assign(TEXT, texts);
}

/** Show `value` from now on: "zh" or "en", or the server's "zh-CN"; the page's `lang` follows (and with it the
 *  language the server answers in). */
export function setLanguage(value) {
  lang = String(value).toLowerCase().startsWith("zh") ? "zh" : "en";
  document.documentElement.lang = languageTag();
}

export const language = () => lang;

/** The language as the server and the browser's date formats name it: "zh-CN" or "en". */
export const languageTag = () => (lang === "zh" ? "zh-CN" : "en");

/** A text made in both languages ({zh, en}) by `build(t)`, for what is kept and shown later (an operation's label):
 *  it shows in whichever language is chosen by then. */
export function inBoth(build) {
  const inOne = (index) => (key) => (TEXT[key] ? TEXT[key][index] : t(key));
  return { zh: build(inOne(0)), en: build(inOne(1)) };
}

/** A text kept by inBoth() in the language showing; a plain text (kept before there were both) as it is. */
export const shown = (kept) => (kept && typeof kept === "object" ? kept[lang] : kept);

/** What the server said, in the language showing: the message_zh or message_en of its details, else its message. */
export const inLanguage = (details, fallback) => (details && details[lang === "zh" ? "message_zh" : "message_en"]) || fallback || "";

/** What went wrong with a call to the server, in the language showing. */
export function said(error, fallback = t("request failed")) {
  if (error.status === 0) return t("offline");
  return inLanguage(error.body?.details, error.body?.message) || fallback;
}

// Keys asked for that have no text: a screen showing one is a bug (the screen walk test reads this).
export const missing = new Set();
globalThis.cangkuMissingText = missing;

export function t(key) {
  const pair = TEXT[key];
  if (!pair) {
    missing.add(key);
    return key;
  }
  return lang === "zh" ? pair[0] : pair[1];
}
