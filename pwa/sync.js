// The sync loop of sync/PROTOCOL.md: operations wait in the outbox and are pushed in seq order; slices are
// bootstrapped once, then pulled from their cursor; the websocket says when to pull. It pulls again on reconnect,
// on coming online, on becoming visible and on a timer, so a lost poke costs only a little time.

import * as store from "./store.js";

export const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

const TIMER_MS = 30_000;
const KEEP_SENT = 500;  // applied operations kept, to send again if the server loses them (restored from a backup)
let scopes = [];
let watched = [];
let socket = null;
let pulling = null;
let pushing = null;
let pokeTimer = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function session() {
  return (await store.get("session")) || null;
}

export async function clientId() {
  let id = await store.get("clientId");
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    await store.set("clientId", id);
  }
  return id;
}

/** A call to the API with the signed-in user's token; a network failure is an ApiError with status 0. The body is sent as
 *  JSON, or as multipart/form-data when it is a FormData (a file upload; the browser writes its Content-Type). */
export async function api(path, { method = "GET", body, params } = {}) {
  const current = await session();
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    for (const value of [].concat(v)) url.searchParams.append(k, value);
  }
  const headers = { Accept: "application/json", "X-Device-Id": await clientId() };
  if (current) headers.Authorization = `Bearer ${current.token}`;
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  const lang = document.documentElement.lang;
  if (lang) headers["Accept-Language"] = lang;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined || form ? body : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { error: "offline" });
  }
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    if (response.status === 401 && current) emit("signed-out", data);
    throw new ApiError(response.status, data);
  }
  return data;
}

/** A file from the API (a label PDF, a CSV or XLSX export) with the user's token: {blob, name}; errors as api() gives them. */
export async function fetchFile(path, { method = "GET", body, params } = {}) {
  const current = await session();
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) url.searchParams.append(k, v);
  const headers = { "X-Device-Id": await clientId(), "Accept-Language": document.documentElement.lang || "zh-CN" };
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { error: "offline" });
  }
  if (!response.ok) {
    const data = response.headers.get("content-type")?.includes("json") ? await response.json() : { message: await response.text() };
    if (response.status === 401 && current) emit("signed-out", data);
    throw new ApiError(response.status, data);
  }
  const disposition = response.headers.get("content-disposition") || "";
  const named = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
  return { blob: await response.blob(), name: named ? decodeURIComponent(named[1]) : url.pathname.split("/").pop(), type: response.headers.get("content-type") };
}

export async function status() {
  const ops = await store.outbox();
  return {
    online: navigator.onLine,
    pending: ops.filter((op) => op.state === "pending").length,
    issues: ops.filter((op) => op.state !== "pending"),
    lastSync: await store.get("lastSync"),
  };
}

let announced = 0;

/** Tell the screens where the outbox stands. Reads of the outbox may end out of order (one begun before an operation was
 *  queued can end after the one begun after it): only the latest begun is told, so a badge never goes back to an older count. */
export async function announce() {
  const mine = ++announced;
  const now = await status();
  if (mine === announced) emit("status", now);
}

/** Put an operation in the outbox (the scan is safe from here on) and push it when the network allows. */
export async function queue(type, payload, label) {
  const op = await store.enqueue({ op_id: crypto.randomUUID(), type, payload, label, device_time: new Date().toISOString() });
  await announce();
  push().catch(() => {});
  return op;
}

let pushAgain = false;
let askNumbering = false;

/** Push the outbox; asked while a push runs (the network just came back, a new scan), it runs again after it. */
export function push() {
  if (pushing) {
    pushAgain = true;
    return pushing;
  }
  pushing = pushNow().finally(() => {
    pushing = null;
    if (pushAgain) {
      pushAgain = false;
      push().catch(() => {});
    }
  });
  return pushing;
}

async function pushNow() {
  for (let round = 0; round < 50; round++) {
    const pending = (await store.outbox()).filter((op) => op.state === "pending").sort((a, b) => a.seq - b.seq).slice(0, 200);
    if ((!pending.length && !askNumbering) || !(await session())) break;
    askNumbering = false;  // an empty push asks where the server's numbering of this client stands
    let answer;
    try {
      answer = await api("/api/v1/sync/push", {
        method: "POST",
        body: {
          client_id: await clientId(), device_time: new Date().toISOString(), schema_version: 1,
          ops: pending.map(({ op_id, seq, type, payload, device_time }) => ({ op_id, seq, type, payload, device_time })),
        },
      });
    } catch (error) {
      await announce();
      if (error.status === 0) return;  // offline: the outbox keeps them
      throw error;
    }
    // By op id first: an operation the server already applied under an earlier number answers with that number.
    const byId = new Map(pending.map((op) => [op.op_id, op]));
    const bySeq = new Map(pending.map((op) => [op.seq, op]));
    let progressed = false;
    let reused = false;
    const done = [];
    for (const result of answer.results) {
      const op = byId.get(result.op_id) || bySeq.get(result.seq);
      if (!op) continue;
      if (result.status === "applied") {
        // Kept before it leaves the outbox (under the number the server applied it at): a screen that reads the outbox,
        // then what was sent (see ownOps), finds it in one or the other, never in neither.
        await keepSent([{ ...op, seq: result.seq }]);
        await store.dropOp(op.seq);
        progressed = true;
      } else if (result.status === "applied_with_exception") {
        // Done, but what was found differs from the book: it stays in the inbox until someone has read it.
        await store.putOp({ ...op, state: result.status, result });
        done.push({ ...op, seq: result.seq });  // kept under the number the server applied it at
        emit("exception", { op, result });
        progressed = true;
      } else if (result.details && result.details.error === "seq_reused") {
        await renumber(result.details.last_seq);
        progressed = true;
        reused = true;
        break;
      } else {
        await store.putOp({ ...op, state: result.status, result });
        emit("issue", { op, result });
        progressed = true;
      }
    }
    await keepSent(done);
    if (!reused && (await refill(answer))) progressed = true;
    emit("pushed", answer);
    await announce();
    if (!progressed) break;
  }
  await store.set("lastSync", new Date().toISOString());
  await announce();
}

/** The server knows this client further on than the outbox does (restored phone): number the waiting ops after it.
 * Everything behind the server's `last_seq` moves too (its answers were lost with it), and in one transaction: an op
 * put where another still stands would overwrite it, and nothing the user did may be lost. */
async function renumber(lastSeq) {
  const moving = (await store.outbox()).filter((op) => op.state === "pending" || op.seq > lastSeq);
  await sendAgainAfter(lastSeq, moving, moving);
}

/** Put `ops` back in the outbox as waiting, in their order, numbered from `lastSeq` + 1, in place of the rows `replacing`
 * (one transaction: an op put where another still stands would overwrite it). */
function sendAgainAfter(lastSeq, ops, replacing) {
  const again = [...ops].sort((a, b) => a.seq - b.seq)
    .map(({ state, result, ...op }, i) => ({ ...op, seq: lastSeq + 1 + i, state: "pending" }));
  return store.renumber(replacing.map((op) => op.seq), again, lastSeq + 1 + again.length);
}

/** What this device did: every operation in its outbox (waiting, or refused and in the inbox), then those the server
 * applied lately. Read in that order, as an applied operation is kept before it leaves the outbox. */
export async function ownOps() {
  const outbox = await store.outbox();
  return [...outbox, ...((await store.get("sent")) || [])];
}

async function keepSent(ops) {
  if (!ops.length) return;
  const kept = (await store.get("sent")) || [];
  const rows = ops.map(({ op_id, seq, type, payload, label, device_time }) => ({ op_id, seq, type, payload, label, device_time }));
  await store.set("sent", [...kept, ...rows].slice(-KEEP_SENT));
}

/** The server keeps each result together with this client's last seq, so an applied operation beyond its `last_seq`
 * is one it lost: it was restored from a backup taken before. Those are sent again, first and in their order, with
 * every operation behind them (waiting, or refused and still in the inbox: the server lost that answer too), numbered
 * from the server's `last_seq` + 1, so no gap blocks the outbox and nothing the user did is lost. */
async function refill(answer) {
  const last = answer.last_seq;
  const kept = (await store.get("sent")) || [];
  const lost = kept.filter((op) => op.seq > last);
  const behind = (await store.outbox()).filter((op) => op.seq > last);
  const firstPending = Math.min(...behind.filter((op) => op.state === "pending").map((op) => op.seq));
  const gap = answer.resend_from != null && firstPending > answer.resend_from && firstPending !== Infinity;
  if (!lost.length && !gap) return false;
  const inOutbox = new Set(behind.map((op) => op.op_id));
  await sendAgainAfter(last, [...lost.filter((op) => !inOutbox.has(op.op_id)), ...behind], behind);
  await store.set("sent", kept.filter((op) => op.seq <= last));
  return true;
}

/** Try an operation that was refused again, as a new operation with its own number. */
export async function retry(op) {
  await store.dropOp(op.seq);
  return queue(op.type, op.payload, op.label);
}

/** Send an edited operation in place of one that was refused (a new operation, the old one is gone). */
export async function replace(op, payload, label) {
  await store.dropOp(op.seq);
  return queue(op.type, payload, label || op.label);
}

export async function discard(op) {
  await store.dropOp(op.seq);
  await announce();
}

// Pulling ------------------------------------------------------------------------------------------

export async function bootstrap(scope) {
  await store.dropScope(scope);
  let token = null;
  let cursor = null;
  do {
    const page = await api("/api/v1/sync/bootstrap", {
      params: { scope, limit: 1000, client_id: await clientId(), ...(token ? { page_token: token } : {}) },
    });
    cursor = page.cursor;
    const fields = page.fields;
    await store.applyRows(page.items.map((row) => ({
      scope, kind: page.kind, key: String(row[0]), data: Object.fromEntries(fields.slice(1).map((f, i) => [f, row[i + 1]])),
    })));
    token = page.next_page_token;
  } while (token);
  const cursors = (await store.get("cursors")) || {};
  cursors[scope] = cursor;
  await store.set("cursors", cursors);
}

/** Catch a slice up from its cursor (bootstrapping it first if it has none); true when the server said to start it again. */
async function pullScope(scope, again = true) {
  let cursors = (await store.get("cursors")) || {};
  if (!cursors[scope]) {
    await bootstrap(scope);
    cursors = await store.get("cursors");
    emit("changed", { scope, changes: [] });  // a screen drawn before the slice arrived draws again
  }
  let cursor = cursors[scope];
  for (;;) {
    const page = await api("/api/v1/sync/pull", { params: { scope, cursor, limit: 1000, client_id: await clientId() } });
    if (page.reset_required) {
      delete cursors[scope];
      await store.set("cursors", cursors);
      await store.dropScope(scope);
      emit("reset", { scope });
      // Started again at once, no one need do anything: a scope the user may no longer see is refused by the
      // bootstrap (403) and stays dropped; one answered reset again is left for the next sync.
      if (again) {
        try {
          await pullScope(scope, false);
        } catch (error) {
          if (error.status !== 403) throw error;
        }
        emit("changed", { scope, changes: [] });
      }
      return true;
    }
    await store.applyRows(page.changes);
    cursor = page.cursor;
    if (page.changes.length) emit("changed", { scope, changes: page.changes });
    if (!page.has_more) break;
  }
  cursors[scope] = cursor;
  await store.set("cursors", cursors);
  return false;
}

export function pull(which = scopes) {
  if (!pulling) {
    pulling = (async () => {
      let reset = false;
      for (const scope of which) reset = (await pullScope(scope)) || reset;
      await store.set("lastSync", new Date().toISOString());
      if (reset && ((await store.get("sent")) || []).length) {
        // The server may have been restored from a backup: ask where its numbering of this client stands (an empty
        // push), so what it lost goes back in the outbox and is pushed again (see refill).
        askNumbering = true;
        await push().catch(() => {});
      }
    })().catch((error) => {
      if (error.status !== 0) emit("error", error);
    }).finally(async () => {
      pulling = null;
      await announce();
    });
  }
  return pulling;
}

/** Push what waits, then pull every scope: what the app does whenever it may have missed something. */
export async function syncNow() {
  await push().catch(() => {});
  await pull();
}

// The websocket ------------------------------------------------------------------------------------

/** A websocket to this server (the browser sends the session cookie with it). */
export function openSocket(path) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return new WebSocket(url);
}

function connect() {
  if (socket || !navigator.onLine) return;
  socket = openSocket("/api/v1/sync/ws");
  socket.onopen = () => subscribe();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "poke") {
      clearTimeout(pokeTimer);
      pokeTimer = setTimeout(() => pull(), 50);
    } else if (message.type === "stock") {
      emit("stock", message);
    } else if (message.type === "reset_required") {
      pull();
    } else if (message.type === "subscribed" || message.type === "ready") {
      if (message.type === "subscribed") pull();
    }
  };
  socket.onclose = () => {
    socket = null;
    setTimeout(connect, 2000 + Math.random() * 2000);
  };
}

function subscribe() {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ type: "subscribe", scopes, items: watched }));
  }
}

/** Stock messages for these SKUs (the screen that shows them). */
export function watch(skus) {
  watched = skus;
  subscribe();
}

/** Start syncing these scopes: now, on the websocket, when the network comes back, when visible, on a timer. */
export function start(which) {
  scopes = which;
  connect();
  subscribe();
  syncNow();
}

export function stop() {
  scopes = [];
  if (socket) {
    socket.onclose = null;
    socket.close();
    socket = null;
  }
}

window.addEventListener("online", () => { connect(); syncNow(); announce(); });
window.addEventListener("offline", () => announce());
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible" && scopes.length) syncNow(); });
setInterval(() => { if (scopes.length && navigator.onLine) syncNow(); }, TIMER_MS);
