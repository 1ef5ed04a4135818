// Every text a person reads, in Chinese and English. The language follows the browser until the user picks one.

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
  recount: ["复盘单", "recount"],
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
  count: ["盘点", "Count"],
  "no counts": ["没有进行中的盘点", "No stocktake in progress"],
  recount: ["需复盘", "Count again"],
  "bin done": ["本库位盘完", "Bin done"],
  counted: ["已盘点", "counted"],
  approvals: ["审批", "Approvals"],
  review: ["查看", "Review"],
  "no approvals": ["没有待审批的订单", "Nothing to approve"],
  approve: ["批准", "Approve"],
  reject: ["驳回", "Reject"],
  approved: ["已批准", "Approved"],
  rejected: ["已驳回", "Rejected"],
  comment: ["意见", "Comment"],
  "reject needs comment": ["驳回时请填写意见", "Say why you reject it"],
  "changed since": ["与上一版相比的变化", "Changed since the last version"],
  "no changes": ["没有变化", "No changes"],
  line: ["行", "line"],
  price: ["单价", "Price"],
  net: ["金额", "Net"],
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
};

let lang = (navigator.language || "zh-CN").toLowerCase().startsWith("zh") ? "zh" : "en";

/** Texts a module brings along ({key: [zh, en]}), kept next to the screens that show them. */
export function addText(texts) {
  Object.assign(TEXT, texts);
}

export function setLanguage(value) {
  lang = value === "en" ? "en" : "zh";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export const language = () => lang;

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
