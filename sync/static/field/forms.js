// The event forms, drawn from the server's JSON Schemas (GET /api/v1/sync/schemas): each
// payload field of a type becomes an input of the kind its schema says (a list of choices, a
// number with its bounds, a date, a time, text); only what a schema cannot say is written here
// (labels, which fields the page fills in, the tank gauge in feet / inches / quarters).

import { QUARTERS, fromInches, toInches } from "./gauge.js";

export const WELL_TYPES = ["PRODUCTION_LOGGED", "WELL_READING_RECORDED", "EQUIPMENT_INSPECTED",
  "EQUIPMENT_REPAIRED", "NOTES_ADDED", "PHOTO_ATTACHED", "WELL_STATUS_CHANGED"];
export const TANK_TYPES = ["TANK_GAUGED", "RUN_TICKET_RECORDED"];

export const TYPE_TITLES = {
  PRODUCTION_LOGGED: "Production", WELL_READING_RECORDED: "Reading", EQUIPMENT_INSPECTED: "Inspection",
  EQUIPMENT_REPAIRED: "Repair", NOTES_ADDED: "Note", PHOTO_ATTACHED: "Photo", WELL_STATUS_CHANGED: "Status change",
  TANK_GAUGED: "Tank gauge", RUN_TICKET_RECORDED: "Run ticket",
};

// Fields the page fills in (the subject, ids, the well's version) rather than the pumper.
const CONTEXT_FIELDS = new Set(["wellId", "tankId", "photoId", "baseVersion"]);
// Levels are entered on the gauge widget; their unit is then inches.
const LEVEL_FIELDS = new Set(["level", "openingLevel", "closingLevel"]);
// The field whose value picks which earlier entries are "the previous value" (oil vs gas...).
export const KEY_FIELD = { PRODUCTION_LOGGED: "product", WELL_READING_RECORDED: "readingType" };
// Numbers checked for plausibility against the recent average of the same key.
export const PLAUSIBLE_FIELDS = { PRODUCTION_LOGGED: ["volume"], WELL_READING_RECORDED: ["value"], TANK_GAUGED: ["level"] };
const LABELS = {
  productionDate: "Production date", downtimeHours: "Downtime (hours)", downtimeReason: "Downtime reason",
  readingType: "Reading", recordedAt: "Time", inspectedAt: "Inspected at", repairedAt: "Repaired at",
  changedAt: "Changed at", takenAt: "Taken at", gaugedAt: "Gauged at", closedAt: "Closed at",
  temperatureF: "Temperature (°F)", bswPercent: "BS&W (%)", observedGravityApi: "Observed gravity (°API)",
  observedTemperatureF: "Observed temperature (°F)", openingTotalizerBbl: "Opening totalizer (bbl)",
  closingTotalizerBbl: "Closing totalizer (bbl)", equipmentId: "Equipment", partsReplaced: "Parts replaced",
  sealsRemoved: "Seals removed (comma-separated)", sealsInstalled: "Seals installed (comma-separated)",
  ticketNumber: "Ticket number", disposition: "Disposition (RRC code: 0 pipeline, 1 truck)",
  level: "Level", openingLevel: "Opening level", closingLevel: "Closing level", inspectionType: "Inspection type",
};

export function labelOf(name) {
  if (LABELS[name]) return LABELS[name];
  const words = name.replace(/([A-Z])/g, " $1").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export { el };

function kindOf(name, prop) {
  if (LEVEL_FIELDS.has(name)) return "level";
  if (name === "equipmentId") return "equipment";
  const types = [].concat(prop.type || []);
  if (prop.enum) return "choice";
  if (types.includes("array")) return "list";
  if (types.includes("number") || types.includes("integer")) return "number";
  if (prop.format === "date-time") return "datetime";
  if (prop.format === "date") return "date";
  if (types.includes("string") && (prop.maxLength || 0) > 500) return "textarea";
  if (/^(notes|description|partsReplaced|reason)$/.test(name)) return "textarea";
  return "text";
}

function pad(n) { return String(n).padStart(2, "0"); }

export function localDateTimeValue(date = new Date()) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function tenantToday(timeZone) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

function displayValue(name, value, payload) {
  if (value === undefined || value === null || value === "") return "";
  if (LEVEL_FIELDS.has(name) && (payload.unit || "IN") === "IN") {
    const { feet, inches, quarters } = fromInches(value);
    return `${feet} ft ${inches}${quarters ? ` ${QUARTERS[quarters]}` : ""} in`;
  }
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) return new Date(value).toLocaleString();
  return String(value);
}

// Build the form of one event type. ctx: {schema, type, subject, equipment, timeZone,
// initial (payload to start from), previous(payloadKeyValue) -> earlier payload or null}.
// Returns {form, read() -> payload, showErrors(errors)}.
// The payload's schema inside an event's schema (GET /api/v1/sync/schemas describes the event).
export function payloadSchemaOf(eventSchema) {
  const payload = eventSchema && eventSchema.properties && eventSchema.properties.payload;
  return payload && payload.properties ? payload : eventSchema;
}

// Choices a cross-field rule of the schema allows ("if product is OIL then unit is BBL or M3"):
// the intersection of the enums of every if/then rule whose conditions hold for ``payload``.
export function allowedChoices(schema, name, payload) {
  let allowed = null;
  for (const rule of (schema && schema.allOf) || []) {
    const conditions = (rule.if && rule.if.properties) || {};
    const then = rule.then && rule.then.properties && rule.then.properties[name];
    if (!then || !then.enum) continue;
    const holds = Object.entries(conditions).every(([field, test]) => "const" in test && payload[field] === test.const);
    if (!holds || !Object.keys(conditions).length) continue;
    allowed = allowed ? allowed.filter((v) => then.enum.includes(v)) : then.enum.slice();
  }
  return allowed;
}

export function buildForm(ctx) {
  const { type } = ctx;
  const schema = payloadSchemaOf(ctx.schema);
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const initial = ctx.initial || {};
  const inputs = {};
  const previousSlots = {};
  const form = el("form", { class: "event-form", "data-type": type, novalidate: true });
  const levelUnit = type === "TANK_GAUGED" || type === "RUN_TICKET_RECORDED";

  for (const [name, prop] of Object.entries(props)) {
    if (CONTEXT_FIELDS.has(name)) continue;
    if (levelUnit && name === "unit") continue; // levels are entered in ft/in/quarters: inches
    if (type === "PHOTO_ATTACHED" && name === "takenAt") continue; // the moment the photo is saved
    const kind = kindOf(name, prop);
    const id = `f-${name}`;
    const row = el("div", { class: "field", "data-field": name });
    const label = el("label", { for: kind === "level" ? `${id}-ft` : id, text: labelOf(name) + (required.has(name) ? "" : " (optional)") });
    row.append(label);
    let input;
    if (kind === "choice") {
      input = el("select", { id, name });
      if (!required.has(name)) input.append(el("option", { value: "", text: "—" }));
      for (const option of prop.enum) {
        if (option !== null) input.append(el("option", { value: option, text: String(option) }));
      }
    } else if (kind === "equipment") {
      input = el("select", { id, name });
      if (!required.has(name)) input.append(el("option", { value: "", text: "— none —" }));
      for (const item of ctx.equipment || []) input.append(el("option", { value: item.id, text: `${item.name} (${item.type})` }));
    } else if (kind === "number") {
      input = el("input", { id, name, type: "number", step: "any", inputmode: "decimal",
        min: prop.minimum, max: prop.maximum });
    } else if (kind === "datetime") {
      input = el("input", { id, name, type: "datetime-local" });
      input.value = localDateTimeValue();
    } else if (kind === "date") {
      input = el("input", { id, name, type: "date" });
      input.value = tenantToday(ctx.timeZone);
    } else if (kind === "textarea") {
      input = el("textarea", { id, name, rows: 3, maxlength: prop.maxLength });
    } else if (kind === "level") {
      input = levelWidget(id, name);
    } else {
      input = el("input", { id, name, type: "text", maxlength: prop.maxLength, inputmode: name === "disposition" ? "numeric" : undefined });
    }
    input.dataset.kind = kind;
    row.append(input);
    const slot = el("div", { class: "previous" });
    previousSlots[name] = slot;
    row.append(slot, el("div", { class: "errors", "data-errors-for": name }));
    inputs[name] = input;
    form.append(row);
  }
  if (type === "PHOTO_ATTACHED") {
    const photo = el("input", { id: "f-photo", name: "photo", type: "file", accept: "image/jpeg,image/png,image/heic", capture: "environment" });
    form.prepend(el("div", { class: "field", "data-field": "photo" }, el("label", { for: "f-photo", text: "Photo" }), photo,
      el("div", { class: "errors", "data-errors-for": "photo" })));
  }

  function setValue(name, value) {
    const input = inputs[name];
    if (!input || value === undefined || value === null) return;
    const kind = input.dataset.kind;
    if (kind === "level") {
      const parts = fromInches(value);
      input.querySelector("[data-part=ft]").value = parts.feet;
      input.querySelector("[data-part=in]").value = parts.inches;
      input.querySelector("[data-part=q]").value = String(parts.quarters);
    } else if (kind === "datetime") {
      input.value = localDateTimeValue(new Date(value));
    } else if (kind === "list") {
      input.value = Array.isArray(value) ? value.join(", ") : String(value);
    } else {
      input.value = String(value);
    }
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function read() {
    const payload = {};
    for (const [name, input] of Object.entries(inputs)) {
      const kind = input.dataset.kind;
      const prop = props[name] || {};
      if (kind === "level") {
        const ft = input.querySelector("[data-part=ft]").value;
        const inch = input.querySelector("[data-part=in]").value;
        const q = input.querySelector("[data-part=q]").value;
        if (ft === "" && inch === "" && (q === "0" || q === "")) continue;
        payload[name] = toInches(ft, inch, q);
        continue;
      }
      const raw = input.value;
      if (raw === "" || raw === undefined) continue;
      if (kind === "number") {
        payload[name] = [].concat(prop.type || []).includes("integer") ? parseInt(raw, 10) : Number(raw);
        if (Number.isNaN(payload[name])) payload[name] = raw; // the schema check names it
      } else if (kind === "datetime") {
        const moment = new Date(raw);
        payload[name] = Number.isNaN(moment.getTime()) ? raw : moment.toISOString().replace(/\.\d{3}Z$/, "Z");
      } else if (kind === "list") {
        payload[name] = raw.split(",").map((s) => s.trim()).filter(Boolean);
      } else if (name === "disposition" && /^\d{1,2}$/.test(raw.trim())) {
        payload[name] = raw.trim();
      } else {
        payload[name] = raw;
      }
    }
    if (levelUnit && ("unit" in props)) {
      const hasLevel = [...LEVEL_FIELDS].some((f) => f in payload);
      if (type === "TANK_GAUGED" || hasLevel) payload.unit = "IN";
    }
    return payload;
  }

  function showErrors(errors) {
    for (const slot of form.querySelectorAll("[data-errors-for]")) slot.textContent = "";
    const general = [];
    for (const [name, messages] of Object.entries(errors || {})) {
      const field = name.replace(/^payload\./, ""); // the server names payload fields "payload.level"
      const slot = form.querySelector(`[data-errors-for="${CSS.escape(field)}"]`);
      const text = [].concat(messages).map((m) => (typeof m === "string" ? m : m.message || JSON.stringify(m))).join("; ");
      if (slot) slot.textContent = text;
      else general.push(`${labelOf(field)}: ${text}`);
    }
    return general;
  }

  function refreshPrevious() {
    const keyField = KEY_FIELD[type];
    const keyValue = keyField ? read()[keyField] : undefined;
    const previous = ctx.previous ? ctx.previous(keyValue) : null;
    for (const [name, slot] of Object.entries(previousSlots)) {
      slot.textContent = "";
      if (!previous || previous[name] === undefined || props[name].format === "date-time" || props[name].format === "date") continue;
      const shown = displayValue(name, previous[name], previous);
      if (!shown) continue;
      const use = el("button", { type: "button", class: "carry", "data-carry": name, text: "Use",
        onclick: () => setValue(name, previous[name]) });
      slot.append(el("span", { class: "muted", text: `Last time: ${shown} ` }), use);
    }
  }

  // A choice narrowed by another field (a product's units): options outside the rules are disabled.
  function narrowChoices() {
    const payload = read();
    for (const [name, input] of Object.entries(inputs)) {
      if (input.dataset.kind !== "choice") continue;
      const allowed = allowedChoices(schema, name, payload);
      for (const option of input.options) {
        option.disabled = Boolean(allowed && option.value !== "" && !allowed.includes(option.value));
      }
      if (allowed && allowed.length && input.selectedOptions[0] && input.selectedOptions[0].disabled) {
        input.value = allowed[0]; // the rule's first choice: the product's base unit (MCF for gas)
      }
    }
  }
  form.addEventListener("change", narrowChoices);

  for (const [name, value] of Object.entries(initial)) setValue(name, value);
  narrowChoices();
  if (KEY_FIELD[type] && inputs[KEY_FIELD[type]]) inputs[KEY_FIELD[type]].addEventListener("change", refreshPrevious);
  refreshPrevious();
  return { form, read, showErrors, setValue, inputs };
}

function levelWidget(id, name) {
  const box = el("div", { class: "level", id, "data-name": name });
  const ft = el("input", { id: `${id}-ft`, type: "number", inputmode: "numeric", min: 0, max: 100, step: 1, "data-part": "ft", "aria-label": "feet" });
  const inch = el("input", { id: `${id}-in`, type: "number", inputmode: "numeric", min: 0, max: 11, step: 1, "data-part": "in", "aria-label": "inches" });
  const q = el("select", { id: `${id}-q`, "data-part": "q", "aria-label": "quarter inches" },
    QUARTERS.map((text, i) => el("option", { value: String(i), text: `${text}"` })));
  box.append(ft, el("span", { text: "ft" }), inch, el("span", { text: "in" }), q);
  return box;
}
