// The device's storage (IndexedDB): reference data from the pull feed, the outbox of events,
// photos as Blobs, batches sent, and a small key-value store (credentials, cursor, schemas).
// Every write resolves only when its transaction has completed (durable), never before.

const DB_NAME = "pumpjack-field";
const DB_VERSION = 1;
export const ENTITIES = ["well", "equipment", "lease", "tank", "conflict", "alert"];

let opened = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export function openDb() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("meta");
      const ref = db.createObjectStore("ref", { keyPath: "key" });
      ref.createIndex("entity", "entity");
      const events = db.createObjectStore("events", { keyPath: "id" });
      events.createIndex("state", "state");
      events.createIndex("subject", "subject");
      events.createIndex("seq", "seq");
      db.createObjectStore("photos", { keyPath: "photoId" });
      db.createObjectStore("batches", { keyPath: "batchId" });
    };
    request.onsuccess = () => {
      const db = request.result;
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("storage is held by an older tab: close it and reload"));
  });
  return opened;
}

// Run fn(stores) in one transaction; resolves with fn's value once the transaction completed.
export async function transact(names, mode, fn) {
  const db = await openDb();
  const tx = db.transaction(names, mode, mode === "readwrite" ? { durability: "strict" } : undefined);
  const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
  const finished = done(tx);
  let value;
  try {
    value = await fn(stores, tx);
  } catch (error) {
    try { tx.abort(); } catch { /* already finished */ }
    await finished.catch(() => {});
    throw error;
  }
  await finished;
  return value;
}

export { promised as req };

// ---------------------------------------------------------------- meta

export async function getMeta(key) {
  return transact(["meta"], "readonly", (s) => promised(s.meta.get(key)));
}

export async function getMetaMany(keys) {
  return transact(["meta"], "readonly", async (s) => {
    const values = await Promise.all(keys.map((key) => promised(s.meta.get(key))));
    return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
  });
}

export async function setMeta(values) {
  return transact(["meta"], "readwrite", (s) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined || value === null) s.meta.delete(key);
      else s.meta.put(value, key);
    }
  });
}

// ---------------------------------------------------------------- route order

// The order the pumper drives their route in: a list of well ids in the meta store, one per user,
// kept on this device only (the API has no route order yet, so it is not shared between devices).
function routeOrderKey(userId) {
  return `routeOrder:${userId}`;
}

export async function getRouteOrder(userId) {
  const ids = await getMeta(routeOrderKey(userId));
  return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
}

export async function setRouteOrder(userId, ids) {
  return setMeta({ [routeOrderKey(userId)]: ids.length ? [...ids] : null });
}

// ---------------------------------------------------------------- reference data

export async function applyChanges(changes, { cursor, replace = false }) {
  return transact(["ref", "meta"], "readwrite", (s) => {
    if (replace) s.ref.clear();
    for (const change of changes) {
      const key = `${change.entity}:${change.id}`;
      if (change.op === "delete") s.ref.delete(key);
      else s.ref.put({ key, entity: change.entity, id: change.id, version: change.version, data: change.data });
    }
    if (cursor) s.meta.put(cursor, "cursor");
  });
}

export async function entities(entity) {
  const rows = await transact(["ref"], "readonly", (s) => promised(s.ref.index("entity").getAll(entity)));
  return rows.map((row) => row.data);
}

export async function entity(entity, id) {
  const row = await transact(["ref"], "readonly", (s) => promised(s.ref.get(`${entity}:${id}`)));
  return row ? row.data : null;
}

// The server's recent records (production, readings, gauges), kept beside the reference data
// under the entity "history": the previous values of a new device, or of another pumper's visit.
export async function replaceHistory(rows) {
  return transact(["ref"], "readwrite", async (s) => {
    const keys = await promised(s.ref.index("entity").getAllKeys("history"));
    for (const key of keys) s.ref.delete(key);
    for (const row of rows) s.ref.put({ key: `history:${row.id}`, entity: "history", id: row.id, version: 1, data: row });
  });
}

export async function forgetReference() {
  return transact(["ref", "meta"], "readwrite", (s) => {
    s.ref.clear();
    s.meta.delete("cursor");
  });
}

// ---------------------------------------------------------------- events (the outbox)

// Event states: "pending" (not acknowledged by the server: sent again until it is),
// "synced" (accepted or a duplicate: durably on the server), "rejected" (the server's code and
// message kept), "replaced" (a rejected event the pumper fixed: the fix is a new event).

export async function addEvent(event, photo = null) {
  const stores = photo ? ["events", "meta", "photos"] : ["events", "meta"];
  return transact(stores, "readwrite", async (s) => {
    const seq = ((await promised(s.meta.get("eventSeq"))) || 0) + 1;
    s.meta.put(seq, "eventSeq");
    const row = { ...event, seq, state: "pending", recordedLocallyAt: new Date().toISOString() };
    s.events.add(row); // add, not put: an id is never written twice
    if (photo) s.photos.put(photo);
    return row;
  });
}

export async function allEvents() {
  return transact(["events"], "readonly", (s) => promised(s.events.index("seq").getAll()));
}

export async function eventsIn(state) {
  const rows = await transact(["events"], "readonly", (s) => promised(s.events.index("state").getAll(state)));
  return rows.sort((a, b) => a.seq - b.seq);
}

export async function eventsFor(subject) {
  const rows = await transact(["events"], "readonly", (s) => promised(s.events.index("subject").getAll(subject)));
  return rows.sort((a, b) => a.seq - b.seq);
}

export async function getEvent(id) {
  return transact(["events"], "readonly", (s) => promised(s.events.get(id)));
}

export async function countPending() {
  return transact(["events"], "readonly", (s) => promised(s.events.index("state").count("pending")));
}

// Apply fn(event) to the stored events with these ids, in one transaction.
export async function updateEvents(ids, fn) {
  return transact(["events"], "readwrite", async (s) => {
    for (const id of ids) {
      const row = await promised(s.events.get(id));
      if (row) s.events.put(fn(row) || row);
    }
  });
}

// ---------------------------------------------------------------- photos and batches

export async function photosToUpload() {
  const rows = await transact(["photos"], "readonly", (s) => promised(s.photos.getAll()));
  return rows.filter((row) => !row.uploaded && !row.error);
}

export async function photosWithErrors() {
  const rows = await transact(["photos"], "readonly", (s) => promised(s.photos.getAll()));
  return rows.filter((row) => row.error);
}

export async function getPhoto(photoId) {
  return transact(["photos"], "readonly", (s) => promised(s.photos.get(photoId)));
}

export async function markPhoto(photoId, changes) {
  return transact(["photos"], "readwrite", async (s) => {
    const row = await promised(s.photos.get(photoId));
    if (row) s.photos.put({ ...row, ...changes });
  });
}

export async function putBatch(batch) {
  return transact(["batches"], "readwrite", (s) => { s.batches.put(batch); });
}

export async function openBatches() {
  const rows = await transact(["batches"], "readonly", (s) => promised(s.batches.getAll()));
  return rows.filter((row) => row.status !== "COMPLETED" && row.status !== "FAILED");
}

export async function forgetEverything() {
  return transact(["ref", "meta", "events", "photos", "batches"], "readwrite", (s) => {
    for (const store of Object.values(s)) store.clear();
  });
}
