// The sync loop of sync/PROTOCOL.md: operations wait in the outbox and are pushed in seq order; slices are
// bootstrapped once, then pulled from their cursor; the websocket says when to pull. It pulls again on reconnect,
// on coming online, on becoming visible and on a timer, so a lost poke costs only a little time.

import * as store from "./store.js";

export const events = new EventTarget();
const emit = (type, detail) => events.dispatchEvent(new CustomEvent(type, { detail }));

const TIMER_MS = 30_000;
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

/** A call to the API with the signed-in user's token; a network failure is an ApiError with status 0. */
export async function api(path, { method = "GET", body, params } = {}) {
  const current = await session();
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    for (const value of [].concat(v)) url.searchParams.append(k, value);
  }
  const headers = { Accept: "application/json", "X-Device-Id": await clientId() };
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const lang = document.documentElement.lang;
  if (lang) headers["Accept-Language"] = lang;
  let response;
  try {
    response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

async function announce() {
  emit("status", await status());
}

/** Put an operation in the outbox (the scan is safe from here on) and push it when the network allows. */
export async function queue(type, payload, label) {
  const op = await store.enqueue({ op_id: crypto.randomUUID(), type, payload, label, device_time: new Date().toISOString() });
  await announce();
  push().catch(() => {});
  return op;
}

let pushAgain = false;

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
    if (!pending.length || !(await session())) break;
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
    const bySeq = new Map(pending.map((op) => [op.seq, op]));
    let progressed = false;
    for (const result of answer.results) {
      const op = bySeq.get(result.seq);
      if (!op) continue;
      if (result.status === "applied") {
        await store.dropOp(op.seq);
        progressed = true;
      } else if (result.status === "applied_with_exception") {
        // Done, but what was found differs from the book: it stays in the inbox until someone has read it.
        await store.putOp({ ...op, state: result.status, result });
        emit("exception", { op, result });
        progressed = true;
      } else if (result.details && result.details.error === "seq_reused") {
        await renumber(result.details.last_seq);
        progressed = true;
        break;
      } else {
        await store.putOp({ ...op, state: result.status, result });
        emit("issue", { op, result });
        progressed = true;
      }
    }
    emit("pushed", answer);
    await announce();
    if (!progressed) break;
  }
  await store.set("lastSync", new Date().toISOString());
  await announce();
}

/** The server knows this client further on than the outbox does (restored phone): number the waiting ops after it. */
async function renumber(lastSeq) {
  const pending = (await store.outbox()).filter((op) => op.state === "pending").sort((a, b) => a.seq - b.seq);
  let next = lastSeq + 1;
  for (const op of pending) {
    await store.dropOp(op.seq);
    await store.putOp({ ...op, seq: next++ });
  }
  await store.set("nextSeq", next);
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

async function pullScope(scope) {
  let cursors = (await store.get("cursors")) || {};
  if (!cursors[scope]) {
    await bootstrap(scope);
    cursors = await store.get("cursors");
  }
  let cursor = cursors[scope];
  for (;;) {
    const page = await api("/api/v1/sync/pull", { params: { scope, cursor, limit: 1000, client_id: await clientId() } });
    if (page.reset_required) {
      delete cursors[scope];
      await store.set("cursors", cursors);
      await store.dropScope(scope);
      emit("reset", { scope });
      return;
    }
    await store.applyRows(page.changes);
    cursor = page.cursor;
    if (page.changes.length) emit("changed", { scope, changes: page.changes });
    if (!page.has_more) break;
  }
  cursors[scope] = cursor;
  await store.set("cursors", cursors);
}

export function pull(which = scopes) {
  if (!pulling) {
    pulling = (async () => {
      for (const scope of which) await pullScope(scope);
      await store.set("lastSync", new Date().toISOString());
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
