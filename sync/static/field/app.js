// The field app: boot (service worker, tenant secret from the QR code's #secret=), login,
// the route list, a visit page per well, the event forms, the outbox and sync.

import * as api from "./api.js";
import * as db from "./db.js";
import { KEY_FIELD, PLAUSIBLE_FIELDS, TYPE_TITLES, WELL_TYPES, buildForm, el, labelOf, payloadSchemaOf, tenantToday } from "./forms.js";
import { levelText } from "./gauge.js";
import { newId, plainOutcome, sha256Hex, syncAll } from "./sync.js";
import { validate } from "./validate.js";

const body = document.body;
const app = document.getElementById("app");
const timeZone = body.dataset.timeZone || "America/Chicago";
const SECRET_PATTERN = /^[0-9a-f]{64}$/;
const PLAUSIBLE_SHARE = 0.5; // a value more than 50 % away from the recent average asks for a confirmation
const RECENT = 7; // entries in the recent average
const MAX_PHOTO_BYTES = 10 * 1024 * 1024; // API.md section 6

const state = { user: null, schemas: {} };

// ---------------------------------------------------------------- boot

async function takeSecretFromFragment() {
  const match = /(?:^#|&)secret=([0-9a-fA-F]{64})(?:&|$)/.exec(location.hash);
  if (!match) return false;
  await db.setMeta({ secret: match[1].toLowerCase() });
  history.replaceState(null, "", location.pathname + location.search); // the secret leaves the address bar
  return true;
}

function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  let controller = navigator.serviceWorker.controller;
  navigator.serviceWorker.register(body.dataset.swUrl, { scope: "/field/" }).catch((error) => {
    console.warn("service worker not registered", error);
  });
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    // The first worker taking over is no news; a worker replacing another is a new version.
    if (controller) document.getElementById("update-banner").hidden = false;
    controller = navigator.serviceWorker.controller;
  });
  document.getElementById("update-reload").addEventListener("click", () => location.reload());
}

async function boot() {
  registerServiceWorker();
  await takeSecretFromFragment();
  const meta = await db.getMetaMany(["user", "refresh", "schemas"]);
  state.user = meta.user || null;
  state.schemas = meta.schemas || {};
  updateNetwork();
  probe();
  window.addEventListener("online", () => { updateNetwork(); probe(); });
  window.addEventListener("offline", updateNetwork);
  window.addEventListener(api.REACHABLE_EVENT, (event) => setReachable(event.detail));
  window.addEventListener("hashchange", () => render().catch(showFatal));
  await updateCount();
  await render();
  body.dataset.ready = "true";
  performance.mark("pumpjack-interactive"); // what tests/field measure: opening to a usable page
}

// navigator.onLine is a hint: false means offline, but it can say true with no network (Chromium
// after a reload during an outage, a captive portal). What the server does decides: a request
// that cannot reach it marks the app offline (api.js sends REACHABLE_EVENT after every request),
// and while it is so, a probe of /healthz every few seconds brings it back online.
const PROBE_MS = 3_000;
let reachable = true;
let probeTimer = null;

function setReachable(ok) {
  reachable = ok;
  clearTimeout(probeTimer);
  probeTimer = ok ? null : setTimeout(probe, PROBE_MS);
  updateNetwork();
}

async function probe() {
  if (!navigator.onLine) return; // offline for sure; the "online" event probes again
  try {
    await fetch("/healthz", { cache: "no-store", credentials: "omit" });
    setReachable(true);
  } catch {
    setReachable(false);
  }
}

function updateNetwork() {
  const online = navigator.onLine && reachable;
  const net = document.getElementById("network");
  net.textContent = online ? "online" : "offline";
  net.dataset.online = String(online);
}

export async function updateCount() {
  const count = await db.countPending();
  const badge = document.getElementById("unsynced");
  badge.textContent = `${count} unsynced`;
  badge.dataset.count = String(count);
}

function showFatal(error) {
  console.error(error);
  app.replaceChildren(el("div", { class: "card error", role: "alert", text: `Something went wrong: ${error.message || error}` }));
}

function go(hash) {
  if (location.hash === hash) render().catch(showFatal);
  else location.hash = hash;
}

async function render() {
  const meta = await db.getMetaMany(["user", "refresh", "secret"]);
  state.user = meta.user || null;
  const hash = location.hash || "#/";
  if (!meta.refresh || !state.user) return renderLogin(meta);
  const parts = hash.replace(/^#\/?/, "").split("/");
  if (parts[0]) reordering = false; // leaving the route page ends its Reorder mode
  if (parts[0] === "well" && parts[1] && parts[2]) return renderForm({ subjectKind: "well", subjectId: parts[1], type: parts[2] });
  if (parts[0] === "well" && parts[1]) return renderVisit(parts[1]);
  if (parts[0] === "tank" && parts[1] && parts[2]) return renderForm({ subjectKind: "tank", subjectId: parts[1], type: parts[2] });
  if (parts[0] === "fix" && parts[1]) return renderFromEvent(parts[1], "fix");
  if (parts[0] === "correct" && parts[1]) return renderFromEvent(parts[1], "correct");
  if (parts[0] === "sync") return renderSync();
  return renderRoute();
}

// ---------------------------------------------------------------- login

function renderLogin(meta) {
  const needSecret = !meta.secret;
  const message = el("div", { class: "errors", id: "login-error", role: "alert" });
  const secret = el("input", { id: "secret", name: "secret", type: "password", autocomplete: "off", spellcheck: "false",
    placeholder: "64 characters from your admin" });
  const email = el("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
  const password = el("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const secretRow = el("div", { class: "field", hidden: !needSecret },
    el("label", { for: "secret", text: "Tenant secret (once per device)" }), secret);
  const change = el("button", { type: "button", class: "link", hidden: needSecret, text: "Enter a new tenant secret",
    onclick: () => { secretRow.hidden = false; change.hidden = true; } });
  const form = el("form", { id: "login-form", novalidate: true },
    el("h1", { text: `Log in to ${body.dataset.tenantName}` }),
    secretRow, change,
    el("div", { class: "field" }, el("label", { for: "email", text: "Email" }), email),
    el("div", { class: "field" }, el("label", { for: "password", text: "Password" }), password),
    message,
    el("button", { type: "submit", class: "primary", text: "Log in" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    const chosen = secretRow.hidden ? meta.secret : secret.value.trim().toLowerCase();
    if (!SECRET_PATTERN.test(chosen || "")) {
      message.textContent = "The tenant secret is 64 characters, 0-9 and a-f: ask your admin (or scan the QR code on the secrets page).";
      return;
    }
    if (!navigator.onLine) {
      message.textContent = "You need a connection to log in (once); after that the app works offline.";
      return;
    }
    try {
      const previous = await db.getMeta("user");
      const data = await api.login({ secret: chosen, email: email.value.trim(), password: password.value });
      if (previous && previous.id !== data.user.id) await db.forgetReference(); // another user's route
      state.user = data.user;
      // Ask that the browser never evicts this device's entries to free space (best effort;
      // Safari keeps a Home Screen app's storage, a tab's only while it is used).
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
      message.textContent = "Loading your route…";
      await syncAll(() => {});
      const meta2 = await db.getMetaMany(["schemas"]);
      state.schemas = meta2.schemas || {};
      await updateCount();
      go("#/");
    } catch (error) {
      message.textContent = error instanceof api.Unreachable ? "No connection to the server: try again when you have signal." : error.message;
    }
  });
  app.replaceChildren(form);
}

// ---------------------------------------------------------------- route list

function wellOrder(a, b) {
  return (a.lease || "").localeCompare(b.lease || "") || (a.name || "").localeCompare(b.name || "");
}

function todayOf(iso) {
  return iso ? tenantToday(timeZone) === dayInTenant(iso) : false;
}

function dayInTenant(iso) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
  } catch {
    return iso.slice(0, 10);
  }
}

async function routeData() {
  const [wells, tanks, leases, events, history] = await Promise.all([
    db.entities("well"), db.entities("tank"), db.entities("lease"), db.allEvents(), db.entities("history")]);
  const leaseName = new Map(leases.map((lease) => [lease.id, lease.name]));
  const live = events.filter((e) => e.state !== "replaced" && e.userId === (state.user && state.user.id));
  const visitedToday = new Set(live.filter((e) => e.payload.wellId && todayOf(e.occurredAt)).map((e) => e.payload.wellId));
  const gaugedToday = new Set(live.filter((e) => e.type === "TANK_GAUGED" && todayOf(e.occurredAt)).map((e) => e.payload.tankId));
  // What the server had from today at the last sync (another pumper's visit) counts too.
  for (const row of history) {
    const today = row.type === "PRODUCTION_LOGGED" ? row.productionDate === tenantToday(timeZone) : todayOf(row.at);
    if (!today) continue;
    const [kind, id] = row.subject.split(":");
    if (kind === "tank") gaugedToday.add(id);
    else visitedToday.add(id);
  }
  const tanksOf = (well) => tanks.filter((tank) => leaseName.get(tank.leaseId) === well.lease)
    .sort((a, b) => a.name.localeCompare(b.name));
  return { wells: wells.sort(wellOrder), tanks, tanksOf, visitedToday, gaugedToday, events: live };
}

// The pumper's own order (db.getRouteOrder; kept on this device only, as the API has no route
// order yet): the wells in the stored order, then the wells new on the route in the default order
// (lease, then name). Ids of wells gone from the route are left out.
function inRouteOrder(wells, order) {
  const byId = new Map(wells.map((well) => [well.id, well]));
  const placed = [];
  for (const id of order) {
    const well = byId.get(id);
    if (well && !placed.includes(well)) placed.push(well);
  }
  return [...placed, ...wells.filter((well) => !placed.includes(well))];
}

let reordering = false; // the route page's "Reorder" mode

async function renderRoute({ focus = null, announce = "" } = {}) {
  const { wells: byDefault, tanksOf, visitedToday, gaugedToday } = await routeData();
  const user = state.user || {};
  const stored = await db.getRouteOrder(user.id);
  const wells = inRouteOrder(byDefault, stored);
  // Wells gone from the route drop out of the stored order (not while nothing is loaded yet).
  const onRoute = new Set(wells.map((well) => well.id));
  const kept = [...new Set(stored)].filter((id) => onRoute.has(id));
  if (wells.length && kept.length !== stored.length) await db.setRouteOrder(user.id, kept);
  if (!wells.length) reordering = false;

  const list = el("ol", { id: "route", class: reordering ? "route reordering" : "route" });
  let wellsDue = 0;
  const tanksDue = new Set();
  wells.forEach((well, index) => {
    const visited = visitedToday.has(well.id);
    if (!visited) wellsDue += 1;
    const tanks = tanksOf(well);
    const ungauged = tanks.filter((tank) => !gaugedToday.has(tank.id));
    ungauged.forEach((tank) => tanksDue.add(tank.id));
    const line = [
      el("strong", { text: well.name }),
      el("span", { class: "muted", text: ` ${well.lease || ""}` }),
      el("span", { class: `tag ${visited ? "ok" : "todo"}`, text: visited ? "visited today" : "due" }),
      tanks.length ? el("span", { class: "muted tanks", text: ` · tanks not gauged: ${ungauged.length}/${tanks.length}` }) : null,
    ];
    const item = el("li", { class: visited ? "done" : "due", "data-well-id": well.id });
    if (reordering) {
      const move = (step, label) => el("button", { type: "button", class: "move", "data-move": step < 0 ? "up" : "down",
        "aria-label": `Move ${well.name} ${label}`, disabled: index + step < 0 || index + step >= wells.length,
        onclick: () => moveWell(wells.map((w) => w.id), index, step).catch(showFatal) },
      step < 0 ? "▲ Move up" : "▼ Move down");
      item.append(el("div", { class: "row" }, el("span", { class: "position", text: `${index + 1}.` }), el("div", { class: "what" }, ...line)),
        el("div", { class: "moves" }, move(-1, "up"), move(1, "down")));
    } else {
      item.append(el("a", { href: `#/well/${well.id}` }, ...line));
    }
    list.append(item);
  });
  const summary = el("p", { id: "due-summary", class: "summary",
    text: `Due today: ${wellsDue} of ${wells.length} wells not visited, ${tanksDue.size} tanks not gauged.` });
  const logout = el("button", { type: "button", class: "link", text: "Log out", onclick: async () => {
    const pending = await db.countPending();
    if (pending && !confirm(`${pending} entries are not synced yet. They stay on this device. Log out anyway?`)) return;
    await api.logout();
    go("#/");
  } });
  const toggle = wells.length > 1
    ? el("button", { type: "button", id: reordering ? "reorder-done" : "reorder", class: reordering ? "primary reorder" : "reorder",
      "aria-pressed": String(reordering), text: reordering ? "Done" : "Reorder",
      onclick: () => { reordering = !reordering; renderRoute({ focus: reordering ? "#route button.move:not([disabled])" : "#reorder" }).catch(showFatal); } })
    : null;
  const help = reordering
    ? el("p", { class: "muted", id: "reorder-help", text: "Put the wells in the order you drive them. The order is kept on this device only." })
    : null;
  const status = el("p", { id: "route-status", class: "visually-hidden", role: "status", "aria-live": "polite", text: announce });
  app.replaceChildren(el("div", { class: "route-head" }, el("h1", { text: "Your route" }), toggle), summary, help,
    wells.length ? list : el("p", { class: "empty", text: "No wells on your route yet: sync when you have signal." }),
    status,
    el("p", { class: "muted" }, `Logged in as ${user.email || ""} `, logout));
  if (focus) {
    const target = app.querySelector(focus);
    if (target) target.focus();
  }
}

// Move the well at index one place up (step -1) or down (+1), store the whole order at once and
// keep the keyboard focus on the moved well's button (or its other one at the end of the list).
async function moveWell(ids, index, step) {
  const to = index + step;
  if (to < 0 || to >= ids.length) return;
  const order = [...ids];
  [order[index], order[to]] = [order[to], order[index]];
  await db.setRouteOrder(state.user.id, order);
  const id = order[to];
  const name = (await db.entity("well", id) || {}).name || "The well";
  const direction = step < 0 ? "up" : "down";
  const atEnd = to === 0 || to === order.length - 1;
  const button = `#route li[data-well-id="${id}"] button[data-move="${atEnd ? (to === 0 ? "down" : "up") : direction}"]`;
  await renderRoute({ focus: button, announce: `${name} is now ${to + 1} of ${order.length}.` });
}

// ---------------------------------------------------------------- visit page

function eventLine(event, subjectName) {
  const stateText = {
    pending: "not synced yet",
    synced: event.outcome ? plainOutcome(event.outcome) : (event.duplicate ? plainOutcome("DUPLICATE") : "on the server, being processed"),
    rejected: `refused: ${event.rejection ? event.rejection.message : ""}`,
    replaced: "fixed and sent again",
  }[event.state];
  const item = el("li", { class: `event ${event.state}`, "data-event-id": event.id, "data-state": event.state,
    "data-outcome": event.outcome || "" },
  el("strong", { text: TYPE_TITLES[event.type] || event.type }),
  subjectName ? el("span", { class: "muted", text: ` ${subjectName}` }) : null,
  el("span", { text: ` ${summaryOf(event)} ` }),
  event.correctsEventId ? el("span", { class: "tag", text: "correction" }) : null,
  el("span", { class: "state", text: ` · ${stateText}` }));
  if (event.state === "rejected") item.append(" ", el("a", { class: "button small", href: `#/fix/${event.id}`, text: "Fix" }));
  else if (event.state !== "replaced") item.append(" ", el("a", { class: "button small", href: `#/correct/${event.id}`, text: "Correct" }));
  return item;
}

function summaryOf(event) {
  const p = event.payload || {};
  switch (event.type) {
    case "PRODUCTION_LOGGED": return `${p.product} ${p.volume} ${p.unit}`;
    case "WELL_READING_RECORDED": return `${p.readingType} ${p.value} ${p.unit}`;
    case "TANK_GAUGED": return levelText(p.level, p.unit);
    case "RUN_TICKET_RECORDED": return `#${p.ticketNumber}`;
    case "EQUIPMENT_INSPECTED": return `${p.inspectionType} ${p.status}`;
    case "WELL_STATUS_CHANGED": return p.status;
    case "NOTES_ADDED": return (p.notes || "").slice(0, 40);
    case "EQUIPMENT_REPAIRED": return (p.description || "").slice(0, 40);
    case "PHOTO_ATTACHED": return p.caption || "photo";
    default: return "";
  }
}

async function renderVisit(wellId) {
  const well = await db.entity("well", wellId);
  if (!well) {
    app.replaceChildren(el("p", { class: "error", text: "This well is not on your route (any more)." }), el("a", { href: "#/", text: "Back to the route" }));
    return;
  }
  const { tanksOf, gaugedToday, events } = await routeData();
  const tanks = tanksOf(well);
  const equipment = (await db.entities("equipment")).filter((item) => item.wellId === wellId);
  const conflicts = (await db.entities("conflict")).filter((c) => c.wellId === wellId && c.status === "PENDING_REVIEW");
  const forms = el("div", { class: "actions" },
    WELL_TYPES.map((type) => el("a", { class: "button", href: `#/well/${wellId}/${type}`, "data-type": type, text: TYPE_TITLES[type] })));
  const tankList = el("ul", { class: "tanks" }, tanks.map((tank) => el("li", { "data-tank-id": tank.id },
    el("strong", { text: tank.name }), el("span", { class: "muted", text: ` ${tank.product} · ${gaugedToday.has(tank.id) ? "gauged today" : "not gauged today"} ` }),
    el("a", { class: "button", href: `#/tank/${tank.id}/TANK_GAUGED`, text: "Gauge" }), " ",
    el("a", { class: "button", href: `#/tank/${tank.id}/RUN_TICKET_RECORDED`, text: "Run ticket" }))));
  const tankIds = new Set(tanks.map((tank) => tank.id));
  const tankName = new Map(tanks.map((tank) => [tank.id, tank.name]));
  const mine = events.filter((e) => (e.payload.wellId === wellId || tankIds.has(e.payload.tankId)) && todayOf(e.occurredAt));
  const recorded = el("ul", { id: "recorded", class: "events" },
    mine.slice().reverse().map((event) => eventLine(event, tankName.get(event.payload.tankId))));
  app.replaceChildren(
    el("p", {}, el("a", { href: "#/", text: "← Route" })),
    el("h1", { text: well.name }),
    el("p", { class: "muted", text: `${well.lease || ""} · ${well.status} · API ${well.apiNumber}` }),
    conflicts.length ? el("p", { class: "warning", text: `${conflicts.length} of your entries here conflict with another entry: a manager will review them.` }) : null,
    el("h2", { text: "Record" }), forms,
    tanks.length ? el("h2", { text: "Tanks" }) : null, tanks.length ? tankList : null,
    equipment.length ? el("h2", { text: "Equipment" }) : null,
    equipment.length ? el("ul", { class: "equipment" }, equipment.map((item) => el("li", { "data-equipment-id": item.id,
      text: `${item.name} · ${item.type} · ${item.status}` }))) : null,
    el("h2", { text: "Recorded today" }),
    mine.length ? recorded : el("p", { class: "empty", text: "Nothing recorded here today." }));
}

// ---------------------------------------------------------------- forms

function subjectOf(payload) {
  return payload.tankId ? `tank:${payload.tankId}` : `well:${payload.wellId}`;
}

const TIME_FIELD = { PRODUCTION_LOGGED: "recordedAt", WELL_READING_RECORDED: "recordedAt", TANK_GAUGED: "gaugedAt" };

function whenOf(entry) {
  const field = TIME_FIELD[entry.type];
  if (entry.type === "PRODUCTION_LOGGED" && entry.payload.productionDate) {
    return `${entry.payload.productionDate}T${(entry.payload.recordedAt || entry.occurredAt || "").slice(11) || "12:00:00Z"}`;
  }
  return (field && entry.payload[field]) || entry.at || entry.occurredAt || "";
}

// Earlier entries of this type for this well or tank, oldest first: this device's (not refused,
// not replaced) and the server's recent records (another pumper's, or from before this device).
async function earlier(subject, type) {
  const own = (await db.eventsFor(subject)).filter((e) => e.type === type && e.state !== "replaced" && e.state !== "rejected");
  const ids = new Set(own.map((e) => e.id));
  const corrected = new Set(own.map((e) => e.correctsEventId).filter(Boolean));
  const server = (await db.entities("history")).filter((h) => h.subject === subject && h.type === type
    && !ids.has(h.sourceEventId) && !corrected.has(h.sourceEventId));
  return [...server, ...own].sort((a, b) => (whenOf(a) < whenOf(b) ? -1 : whenOf(a) > whenOf(b) ? 1 : 0));
}

// The value the correction chain ends at for each event: a corrected entry is not "previous".
function current(rows) {
  const corrected = new Set(rows.map((e) => e.correctsEventId).filter(Boolean));
  return rows.filter((e) => !corrected.has(e.id));
}

function plausibility(type, payload, history) {
  const warnings = [];
  const keyField = KEY_FIELD[type];
  for (const name of PLAUSIBLE_FIELDS[type] || []) {
    const value = Number(payload[name]);
    if (!Number.isFinite(value)) continue;
    const same = history.filter((e) => (!keyField || e.payload[keyField] === payload[keyField])
      && (!payload.unit || e.payload.unit === payload.unit) && Number.isFinite(Number(e.payload[name])));
    const recent = same.slice(-RECENT).map((e) => Number(e.payload[name]));
    if (recent.length < 2) continue;
    const average = recent.reduce((a, b) => a + b, 0) / recent.length;
    const far = average === 0 ? value !== 0 : Math.abs(value - average) / Math.abs(average) > PLAUSIBLE_SHARE;
    if (far) {
      const shown = type === "TANK_GAUGED" ? `${levelText(value)} vs ${levelText(average)}` : `${value} vs ${Math.round(average * 100) / 100}`;
      warnings.push(`${labelOf(name)} is far from the recent average here (${shown}, last ${recent.length} entries).`);
    }
  }
  return warnings;
}

async function renderForm({ subjectKind, subjectId, type, initial = null, mode = "new", original = null }) {
  const subject = await db.entity(subjectKind, subjectId);
  const schema = state.schemas[type];
  const back = subjectKind === "well" ? `#/well/${subjectId}` : null;
  let wellId = subjectKind === "well" ? subjectId : null;
  if (subjectKind === "tank" && subject) {
    const leases = await db.entities("lease");
    const lease = leases.find((l) => l.id === subject.leaseId);
    const wells = await db.entities("well");
    const well = wells.find((w) => lease && w.lease === lease.name);
    wellId = well ? well.id : null;
  }
  const backHref = back || (wellId ? `#/well/${wellId}` : "#/");
  if (!subject || !schema) {
    app.replaceChildren(el("p", { class: "error", text: !subject ? "Not on your route." : "This form needs one sync first (the app has not received the server's forms yet)." }),
      el("a", { href: backHref, text: "Back" }));
    return;
  }
  const subjectKey = `${subjectKind}:${subjectId}`;
  const history = current(await earlier(subjectKey, type));
  const equipment = subjectKind === "well" ? (await db.entities("equipment")).filter((item) => item.wellId === subjectId) : [];
  const keyField = KEY_FIELD[type];
  const built = buildForm({
    schema, type, equipment, timeZone, initial,
    previous: (keyValue) => {
      const rows = history.filter((e) => !keyField || !keyValue || e.payload[keyField] === keyValue);
      return rows.length ? rows[rows.length - 1].payload : null;
    },
  });
  const status = el("div", { id: "form-status", role: "status", "aria-live": "polite" });
  const general = el("div", { class: "errors", id: "form-errors", role: "alert" });
  let confirmed = false;
  const save = el("button", { type: "submit", class: "primary", text: mode === "correct" ? "Save correction" : "Save" });
  built.form.append(general, status, save);
  if (mode === "fix" && original && original.rejection) {
    general.textContent = `The server refused this entry: ${original.rejection.message}`;
    built.showErrors(original.rejection.details || {});
  }
  built.form.addEventListener("input", () => { confirmed = false; save.textContent = mode === "correct" ? "Save correction" : "Save"; });
  built.form.addEventListener("submit", async (submitEvent) => {
    submitEvent.preventDefault();
    performance.mark("pumpjack-save-start");
    status.textContent = "";
    general.textContent = "";
    const payload = built.read();
    if (subjectKind === "well") payload.wellId = subjectId;
    else payload.tankId = subjectId;
    if (type === "WELL_STATUS_CHANGED" && subject.version && !payload.baseVersion) payload.baseVersion = subject.version;
    let photo = null;
    if (type === "PHOTO_ATTACHED") {
      const file = built.form.querySelector("#f-photo").files[0];
      if (file) {
        // The bytes themselves go to IndexedDB (not a reference to the camera's temporary file).
        const bytes = await file.arrayBuffer();
        const contentType = file.type || "image/jpeg";
        photo = { photoId: newId(), blob: new Blob([bytes], { type: contentType }), contentType, size: file.size,
          uploaded: false, sha256: await sha256Hex(new Blob([bytes])) };
        payload.photoId = photo.photoId;
      } else if (initial && initial.photoId) {
        payload.photoId = initial.photoId; // a fix or correction keeps the photo already stored
      }
      payload.takenAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    }
    const errors = validate(payloadSchemaOf(schema), payload, { today: tenantToday(timeZone) });
    if (type === "PHOTO_ATTACHED" && !payload.photoId) errors.photo = ["take or choose a photo"];
    if (photo && photo.size > MAX_PHOTO_BYTES) errors.photo = ["is larger than 10 MB: the server takes at most 10 MB"];
    const problems = built.showErrors(errors);
    if (Object.keys(errors).length) {
      general.textContent = problems.length ? problems.join(" ") : "Check the fields marked.";
      return;
    }
    const warnings = plausibility(type, payload, history);
    if (subjectKind === "tank" && subject.heightInches) {
      for (const name of ["level", "openingLevel", "closingLevel"]) {
        if (Number(payload[name]) > subject.heightInches) {
          warnings.push(`${labelOf(name)} ${levelText(payload[name])} is above the tank's height (${levelText(subject.heightInches)}).`);
        }
      }
    }
    if (warnings.length && !confirmed) {
      general.textContent = "";
      status.replaceChildren(el("div", { class: "warning", id: "plausibility" }, warnings.join(" "), " Check it, then tap Save anyway."));
      save.textContent = "Save anyway";
      confirmed = true;
      return;
    }
    const event = {
      id: newId(), type, occurredAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), payload,
      userId: state.user.id, subject: subjectOf(payload),
    };
    if (mode === "correct" && original) event.correctsEventId = original.id;
    save.disabled = true;
    try {
      await db.addEvent(event, photo); // resolves once the transaction has completed
      if (mode === "fix" && original) {
        await db.updateEvents([original.id], (row) => ({ ...row, state: "replaced", replacedBy: event.id }));
      }
    } catch (error) {
      save.disabled = false;
      general.textContent = `Not saved: ${error.message}`;
      return;
    }
    await updateCount();
    status.replaceChildren(el("p", { class: "saved", id: "saved", text: `Saved on this device: ${TYPE_TITLES[type]} ${summaryOf(event)}.` }),
      el("a", { href: backHref, class: "button", text: "Back to the well" }), " ",
      el("button", { type: "button", id: "record-another", text: "Record another",
        onclick: () => renderForm({ subjectKind, subjectId, type }).catch(showFatal) }));
    save.hidden = true;
    performance.measure("pumpjack-save", "pumpjack-save-start"); // tap on Save to "saved" (stored)
  });
  const title = { new: TYPE_TITLES[type], fix: `Fix: ${TYPE_TITLES[type]}`, correct: `Correct: ${TYPE_TITLES[type]}` }[mode];
  app.replaceChildren(
    el("p", {}, el("a", { href: backHref, text: "← Back" })),
    el("h1", { text: title }),
    el("p", { class: "muted", text: subject.name }),
    built.form);
}

async function renderFromEvent(eventId, mode) {
  const original = await db.getEvent(eventId);
  if (!original) return go("#/");
  const subjectKind = original.payload.tankId ? "tank" : "well";
  const subjectId = original.payload.tankId || original.payload.wellId;
  return renderForm({ subjectKind, subjectId, type: original.type, initial: original.payload, mode, original });
}

// ---------------------------------------------------------------- sync page

const PHASES = { photos: "Uploading photos", push: "Sending entries", processed: "Waiting for the server's answers", pull: "Updating your route" };

async function renderSync() {
  const progress = el("p", { id: "sync-progress", role: "status", "aria-live": "polite" });
  const outcome = el("div", { id: "sync-result" });
  const button = el("button", { type: "button", id: "sync-now", class: "primary", text: "Sync now" });
  const list = el("ul", { id: "outbox", class: "events" });

  async function showOutbox() {
    const events = (await db.allEvents()).filter((e) => e.userId === (state.user && state.user.id));
    const wells = new Map((await db.entities("well")).map((w) => [w.id, w.name]));
    const tanks = new Map((await db.entities("tank")).map((t) => [t.id, t.name]));
    const conflicts = new Map((await db.entities("conflict")).map((c) => [c.eventId, c]));
    const photoErrors = new Map((await db.photosWithErrors()).map((p) => [p.photoId, p.error]));
    list.replaceChildren(...events.slice(-200).reverse().map((event) => {
      const line = eventLine(event, wells.get(event.payload.wellId) || tanks.get(event.payload.tankId));
      const conflict = conflicts.get(event.id);
      if (conflict) {
        const decided = conflict.resolution ? `decided by a manager: ${conflict.resolution.action}${conflict.resolution.note ? ` (${conflict.resolution.note})` : ""}` : "waiting for a manager";
        line.append(el("div", { class: "conflict", text: `Conflict: ${conflict.reason} — ${decided}` }));
      }
      const photoError = event.payload.photoId && photoErrors.get(event.payload.photoId);
      if (photoError) line.append(el("div", { class: "error", text: `The photo could not be uploaded: ${photoError}` }));
      return line;
    }));
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    outcome.textContent = "";
    progress.textContent = "Starting…";
    try {
      await syncAll((phase, done, total) => {
        progress.textContent = `${PHASES[phase] || phase}: ${done} of ${total}`;
        if (phase === "push") updateCount();
      });
      const events = await db.allEvents();
      const rejected = events.filter((e) => e.state === "rejected").length;
      const review = events.filter((e) => e.outcome === "PENDING_REVIEW").length;
      progress.textContent = "Sync finished.";
      outcome.replaceChildren(el("p", { class: "saved", id: "sync-done", text:
        `Everything is on the server${rejected ? `, except ${rejected} refused (fix them below)` : ""}${review ? `; ${review} wait for a manager's review` : ""}.` }));
    } catch (error) {
      const text = error instanceof api.Unreachable
        ? "The connection dropped. Nothing is lost: entries not confirmed by the server stay on this device; sync again when you have signal."
        : error instanceof api.LoggedOut ? `${error.message}` : `Sync stopped: ${error.message}`;
      progress.textContent = "";
      outcome.replaceChildren(el("p", { class: "error", id: "sync-error", text }));
      if (error instanceof api.LoggedOut) outcome.append(el("button", { type: "button", text: "Log in again", onclick: async () => { await db.setMeta({ refresh: null }); go("#/"); } }));
    } finally {
      button.disabled = false;
      await updateCount();
      await showOutbox();
    }
  });
  const last = await db.getMeta("lastSyncAt");
  app.replaceChildren(el("p", {}, el("a", { href: "#/", text: "← Route" })), el("h1", { text: "Sync" }),
    el("p", { class: "muted", text: last ? `Last sync: ${new Date(last).toLocaleString()}` : "Not synced yet." }),
    button, progress, outcome, el("h2", { text: "Entries on this device" }), list);
  await showOutbox();
}

boot().catch(showFatal);
