// The device's own database (IndexedDB): settings and session (kv), the outbox of operations not yet confirmed
// by the server, the slices it syncs (rows: catalog, bins, stock per warehouse), and documents it works on offline.

const NAME = "cangku";
const VERSION = 2;
let opened = null;

export function open() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = (event) => {
        const db = request.result;
        if (event.oldVersion < 1) {
          db.createObjectStore("kv");
          db.createObjectStore("outbox", { keyPath: "seq" });
          const rows = db.createObjectStore("rows", { keyPath: ["scope", "kind", "key"] });
          rows.createIndex("code", ["kind", "code"]);
          rows.createIndex("sku", ["kind", "sku"]);
          rows.createIndex("scope", "scope");
        }
        // Version 2: documents are kept per kind (an order to receive, one to approve, a wave), fetched again when online.
        if (db.objectStoreNames.contains("docs")) db.deleteObjectStore("docs");
        db.createObjectStore("docs", { keyPath: ["kind", "number"] });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function tx(stores, mode, work) {
  const db = await open();
  const transaction = db.transaction(stores, mode);
  const result = await work(transaction);
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
  return result;
}

export const get = (key) => tx(["kv"], "readonly", (t) => done(t.objectStore("kv").get(key)));
export const set = (key, value) => tx(["kv"], "readwrite", (t) => done(t.objectStore("kv").put(value, key)));
export const del = (key) => tx(["kv"], "readwrite", (t) => done(t.objectStore("kv").delete(key)));

/** Put an operation in the outbox under the next sequence number (kept with it, in one transaction). */
export function enqueue(op) {
  return tx(["kv", "outbox"], "readwrite", async (t) => {
    const kv = t.objectStore("kv");
    const seq = (await done(kv.get("nextSeq"))) || 1;
    kv.put(seq + 1, "nextSeq");
    const row = { ...op, seq, state: "pending" };
    t.objectStore("outbox").put(row);
    return row;
  });
}

export const outbox = () => tx(["outbox"], "readonly", (t) => done(t.objectStore("outbox").getAll()));

/** Number operations again in one transaction: the rows under `oldSeqs` go, `rows` come under their new seq. */
export function renumber(oldSeqs, rows, nextSeq) {
  return tx(["kv", "outbox"], "readwrite", (t) => {
    const outbox = t.objectStore("outbox");
    for (const seq of oldSeqs) outbox.delete(seq);
    for (const row of rows) outbox.put(row);
    t.objectStore("kv").put(nextSeq, "nextSeq");
  });
}
export const putOp = (op) => tx(["outbox"], "readwrite", (t) => done(t.objectStore("outbox").put(op)));
export const dropOp = (seq) => tx(["outbox"], "readwrite", (t) => done(t.objectStore("outbox").delete(seq)));

function indexed(kind, data) {
  return { code: data.code ?? null, sku: data.sku ?? null };
}

/** Apply synced rows: a state replaces the row of its key; `null` data (or a balance of 0) removes it. */
export function applyRows(changes) {
  return tx(["rows"], "readwrite", (t) => {
    const rows = t.objectStore("rows");
    for (const c of changes) {
      const gone = c.data === null || ((c.kind === "balance" || c.kind === "stock") && c.data.qty === "0");
      if (gone) rows.delete([c.scope, c.kind, c.key]);
      else rows.put({ scope: c.scope, kind: c.kind, key: c.key, ...indexed(c.kind, c.data), data: c.data });
    }
  });
}

export function dropScope(scope) {
  return tx(["rows"], "readwrite", async (t) => {
    const keys = await done(t.objectStore("rows").index("scope").getAllKeys(scope));
    for (const key of keys) t.objectStore("rows").delete(key);
  });
}

export const byCode = (kind, code) => tx(["rows"], "readonly", (t) => done(t.objectStore("rows").index("code").getAll([kind, code])));
export const bySku = (kind, sku) => tx(["rows"], "readonly", (t) => done(t.objectStore("rows").index("sku").getAll([kind, sku])));
export const inScope = (scope) => tx(["rows"], "readonly", (t) => done(t.objectStore("rows").index("scope").getAll(scope)));

export const putDoc = (kind, doc) => tx(["docs"], "readwrite", (t) => done(t.objectStore("docs").put({ ...doc, kind })));
export const getDoc = (kind, number) => tx(["docs"], "readonly", (t) => done(t.objectStore("docs").get([kind, number])));
export const dropDoc = (kind, number) => tx(["docs"], "readwrite", (t) => done(t.objectStore("docs").delete([kind, number])));
export const docs = (kind) => tx(["docs"], "readonly", (t) => done(t.objectStore("docs").getAll(IDBKeyRange.bound([kind], [kind, []]))));
export function replaceDocs(kind, list) {
  return tx(["docs"], "readwrite", async (t) => {
    const store = t.objectStore("docs");
    await done(store.delete(IDBKeyRange.bound([kind], [kind, []])));
    for (const doc of list) store.put({ ...doc, kind });
  });
}
