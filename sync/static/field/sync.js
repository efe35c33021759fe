// Sync (API.md sections 6 and 9), in the order the command-line client uses
// (sync/client/engine.py): photos, push, wait for the outcomes, pull. Every step stores what it
// learnt as it goes: an event stays "pending" until a 202 names it accepted, duplicate or
// rejected, so a cut connection, a closed tab or a phone asleep is repaired by syncing again (the
// same event ids make a resend a duplicate, never a second record).

import { call, callJson, errorOf, Unreachable } from "./api.js";
import * as db from "./db.js";

export const PUSH_CHUNK = 200; // events per request: progress stays visible, requests stay small
const PULL_LIMIT = 1000;
const POLL_SECONDS = 60;
// A batch the server just queued is first asked about this long after its 202 (as the command-line
// client does): a poll sooner can only see it pending, and costs the server every event's result
// while its worker starts on the batch. One still processing then is most often nearly done: asked
// again NEXT_POLL_MS later, then every 1.5 times longer, at most every 2 seconds.
const FIRST_POLL_MS = 200;
const NEXT_POLL_MS = 100;
const queuedAt = new Map(); // batch id -> when this tab's push of it was answered

export function plainOutcome(outcome) {
  return {
    APPLIED: "saved on the server",
    AUTO_RESOLVED: "saved; it met another entry for the same thing and the rule of your company decided",
    PENDING_REVIEW: "conflicts with another entry: a manager will review it",
    REJECTED: "refused by the server",
    DUPLICATE: "already on the server (sent before)",
  }[outcome] || outcome || "sent, not processed yet";
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export { sha256Hex };

function appVersion() {
  return document.body.dataset.shellVersion || "dev";
}

async function device() {
  let deviceId = await db.getMeta("deviceId");
  if (!deviceId) {
    deviceId = `web-${newId().slice(0, 8)}`;
    await db.setMeta({ deviceId });
  }
  return { deviceId, platform: "web", appVersion: appVersion() };
}

export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16)); // iOS before 15.4
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function wire(event) {
  const out = { id: event.id, type: event.type, occurredAt: event.occurredAt, payload: event.payload };
  if (event.correctsEventId) out.correctsEventId = event.correctsEventId;
  if (event.userId) out.userId = event.userId;
  return out;
}

function firstMessage(errors) {
  if (!Array.isArray(errors) || !errors.length) return { code: "rejected", message: "refused by the server", details: {} };
  const first = errors[0];
  if (typeof first === "string") return { code: "rejected", message: first, details: {} };
  return { code: first.code || "rejected", message: first.message || first.code || "refused", details: first.details || {} };
}

// ---------------------------------------------------------------- steps

export async function uploadPhotos(progress) {
  const photos = await db.photosToUpload();
  let done = 0;
  for (const photo of photos) {
    const response = await call(`/api/v1/sync/photos/${photo.photoId}`, {
      method: "PUT", body: photo.blob,
      headers: { "Content-Type": photo.contentType, "X-Content-SHA256": photo.sha256 },
    });
    if (response.ok) {
      await db.markPhoto(photo.photoId, { uploaded: true });
    } else if (response.status >= 500 || response.status === 429) {
      throw new Unreachable(`the server could not take a photo now (${response.status})`);
    } else {
      const error = await errorOf(response); // checksum, type, size: the same bytes cannot pass
      await db.markPhoto(photo.photoId, { error: `${error.message} (${error.code})` });
    }
    done += 1;
    progress("photos", done, photos.length);
  }
}

export async function push(progress) {
  const user = await db.getMeta("user");
  // Only this user's entries: another user's stay on the device until they log in again.
  const pending = (await db.eventsIn("pending")).filter((e) => user && (!e.userId || e.userId === user.id));
  const dev = await device();
  let done = 0;
  progress("push", 0, pending.length);
  for (let start = 0; start < pending.length; start += PUSH_CHUNK) {
    const chunk = pending.slice(start, start + PUSH_CHUNK);
    const response = await call("/api/v1/sync/batches", {
      method: "POST", json: { device: dev, events: chunk.map(wire) },
    });
    if (response.status !== 202) {
      const error = await errorOf(response);
      if (response.status >= 500 || response.status === 429) throw new Unreachable(error.message);
      throw error;
    }
    const body = await response.json();
    if (body.status !== "COMPLETED" && body.status !== "FAILED") queuedAt.set(body.batchId, Date.now());
    const acknowledged = new Set([...(body.accepted || []), ...(body.duplicates || [])]);
    const duplicates = new Set(body.duplicates || []);
    const rejected = new Map((body.rejected || []).map((r) => [r.eventId, r]));
    await db.updateEvents(chunk.map((e) => e.id), (event) => {
      if (acknowledged.has(event.id)) {
        const duplicate = duplicates.has(event.id);
        // A duplicate's outcome is known now (a batch of duplicates only may be COMPLETED at once).
        return { ...event, state: "synced", batchId: body.batchId, duplicate, outcome: duplicate ? "DUPLICATE" : event.outcome };
      }
      const refusal = rejected.get(event.id);
      if (refusal) {
        return { ...event, state: "rejected", batchId: body.batchId, outcome: "REJECTED",
          rejection: { code: refusal.code, message: refusal.message, details: refusal.details || {} } };
      }
      return event; // not named: stays pending and goes again
    });
    await db.putBatch({ batchId: body.batchId, status: body.status || "QUEUED", eventIds: chunk.map((e) => e.id),
      sentAt: new Date().toISOString() });
    done += chunk.length;
    progress("push", done, pending.length);
  }
  return pending.length;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitForOutcomes(progress, { seconds = POLL_SECONDS } = {}) {
  const batches = await db.openBatches();
  const deadline = Date.now() + seconds * 1000;
  let index = 0;
  for (const batch of batches) {
    const pushedAt = queuedAt.get(batch.batchId);
    queuedAt.delete(batch.batchId);
    // One pushed by this tab: not before FIRST_POLL_MS after its 202; one left open by an earlier
    // sync (a cut connection, a closed tab): at once.
    if (pushedAt !== undefined) await sleep(Math.max(0, Math.min(pushedAt + FIRST_POLL_MS, deadline) - Date.now()));
    let interval = pushedAt !== undefined ? NEXT_POLL_MS : FIRST_POLL_MS;
    for (;;) {
      const response = await call(`/api/v1/sync/batches/${batch.batchId}`);
      if (response.status === 404) {
        await db.putBatch({ ...batch, status: "FAILED" });
        break;
      }
      if (!response.ok) throw await errorOf(response);
      const body = await response.json();
      const finished = body.status === "COMPLETED" || body.status === "FAILED";
      if (finished || Date.now() >= deadline) {
        const results = new Map((body.results || []).filter((r) => r.eventId).map((r) => [r.eventId, r]));
        await db.updateEvents(batch.eventIds, (event) => {
          const result = results.get(event.id);
          if (!result || event.state === "rejected") return event;
          if (result.outcome === "REJECTED") {
            return { ...event, state: "rejected", outcome: "REJECTED", rejection: firstMessage(result.errors) };
          }
          if (result.outcome === "PENDING" || !result.outcome) return event;
          return { ...event, outcome: result.outcome, conflictId: result.conflict || null };
        });
        await db.putBatch({ ...batch, status: body.status, counts: body.counts || {} });
        break;
      }
      await sleep(interval);
      interval = Math.min(interval * 1.5, 2000);
    }
    index += 1;
    progress("processed", index, batches.length);
    if (Date.now() >= deadline) break;
  }
}

export async function pull(progress) {
  let cursor = await db.getMeta("cursor");
  let replace = !cursor;
  let snapshot = [];
  let pulled = 0;
  for (let page = 0; page < 10_000; page += 1) {
    const query = new URLSearchParams({ limit: String(PULL_LIMIT) });
    if (cursor) query.set("cursor", cursor);
    const response = await call(`/api/v1/sync/changes?${query}`);
    if (response.status === 410) { // cursor_expired: a fresh snapshot
      cursor = null; replace = true; snapshot = [];
      continue;
    }
    if (!response.ok) throw await errorOf(response);
    const body = await response.json();
    const changes = body.changes || [];
    pulled += changes.length;
    if (replace) {
      snapshot.push(...changes);
      if (!body.hasMore) await db.applyChanges(snapshot, { cursor: body.cursor, replace: true });
    } else {
      await db.applyChanges(changes, { cursor: body.cursor });
    }
    cursor = body.cursor;
    progress("pull", pulled, pulled);
    if (!body.hasMore) break;
  }
  return pulled;
}

const HISTORY_DAYS = 21;

function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

async function rows(path) {
  const response = await call(path);
  if (!response.ok) return [];
  const body = await response.json();
  return Array.isArray(body) ? body : body.results || [];
}

// The route's recent production, readings and tank gauges from the server, as the payloads a
// form shows as "last time" (newest first on the server; superseded records left out).
export async function pullHistory() {
  const wells = await db.entities("well");
  const tanks = await db.entities("tank");
  const out = [];
  const current = (row) => !row.supersededBy;
  for (const well of wells) {
    for (const row of (await rows(`/api/v1/wells/${well.id}/production/?from=${daysAgo(HISTORY_DAYS)}&page_size=100`)).filter(current)) {
      out.push({ id: row.id, sourceEventId: row.sourceEventId, type: "PRODUCTION_LOGGED", subject: `well:${well.id}`,
        at: row.recordedAt || `${row.productionDate}T12:00:00Z`, productionDate: row.productionDate, payload: {
          product: row.product, volume: row.volume, unit: row.unit, downtimeHours: row.downtimeHours ?? undefined,
          downtimeReason: row.downtimeReason || undefined } });
    }
    for (const row of (await rows(`/api/v1/wells/${well.id}/readings/?page_size=50`)).filter(current)) {
      out.push({ id: row.id, sourceEventId: row.sourceEventId, type: "WELL_READING_RECORDED", subject: `well:${well.id}`,
        at: row.recordedAt, payload: { readingType: row.readingType, value: row.value, unit: row.unit,
          equipmentId: row.equipmentId || undefined } });
    }
  }
  for (const tank of tanks) {
    for (const row of (await rows(`/api/v1/tanks/${tank.id}/gauges/?from=${daysAgo(HISTORY_DAYS)}`)).filter(current)) {
      out.push({ id: row.id, sourceEventId: row.sourceEventId, type: "TANK_GAUGED", subject: `tank:${tank.id}`,
        at: row.gaugedAt, payload: { level: row.levelInches, unit: "IN", temperatureF: row.temperatureF ?? undefined,
          bswPercent: row.bswPercent ?? undefined } });
    }
  }
  await db.replaceHistory(out);
}

export async function fetchSchemas() {
  const url = document.body.dataset.schemasUrl;
  const body = await callJson(url);
  await db.setMeta({ schemas: body.schemas || {}, schemasVersion: body.version || null });
  return body.schemas;
}

let running = null;

// The whole sync; one at a time per tab. progress(phase, done, total).
export function syncAll(progress = () => {}) {
  if (!running) {
    running = (async () => {
      await uploadPhotos(progress);
      const pushed = await push(progress);
      await waitForOutcomes(progress);
      await pull(progress);
      try { await fetchSchemas(); } catch { /* the schemas stored before stay in use */ }
      try { await pullHistory(); } catch { /* previous values: best effort, the device's own stay */ }
      await db.setMeta({ lastSyncAt: new Date().toISOString() });
      return { pushed };
    })().finally(() => { running = null; });
  }
  return running;
}
