// Validation of an event or a payload against the schemas of GET /api/v1/sync/schemas (JSON Schema
// draft 2020-12, as sync/json_schemas.py emits it), with the server's own messages where the schema
// carries them (x-errorMessages). No library: the subset the server emits is small.
//
//   import { validate } from "./validate.js";
//   const errors = validate(schemas.PRODUCTION_LOGGED.properties.payload, payload);
//   // {} when valid, else {fieldName: ["message", ...]}: "volume", or "payload.volume" for an event.
//
// Keywords: type, enum, const, pattern, minLength, maxLength (code points, as the server counts),
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, format (uuid, date, date-time), required,
// properties, additionalProperties, items, minItems, maxItems, allOf, anyOf, oneOf, not,
// if/then/else; and the server's x-notAfter ("today", "now+600s"), checked against options.now
// (a Date) and options.today ("YYYY-MM-DD"), by default the device's clock and local date.
// Errors name the property path joined with dots (array indexes dropped, as the server names a
// list field); an object's own errors (unknown keys, not an object) go under its x-errorKey.

const MESSAGES = "x-errorMessages";

const DEFAULTS = {
  type: "has the wrong type",
  enum: "is not one of the allowed values",
  const: "has the wrong value",
  pattern: "is not in the expected form",
  minLength: "is too short",
  maxLength: "is too long",
  minimum: "is too small",
  maximum: "is too large",
  exclusiveMinimum: "is too small",
  exclusiveMaximum: "is too large",
  format: "is not in the expected form",
  required: "is required",
  additionalProperties: "unknown field(s)",
  minItems: "has too few items",
  maxItems: "has too many items",
  anyOf: "is not valid",
  oneOf: "is not valid",
  not: "is not valid",
  "x-notAfter": "is in the future",
};

function message(schema, keyword) {
  const own = schema[MESSAGES];
  return (own && own[keyword]) || DEFAULTS[keyword];
}

function typeOf(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function hasType(value, type) {
  switch (type) {
    case "null": return value === null;
    case "boolean": return typeof value === "boolean";
    case "string": return typeof value === "string";
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "array": return Array.isArray(value);
    case "object": return typeOf(value) === "object";
    default: return false;
  }
}

function equal(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const patterns = new Map();
function regex(source) {
  if (!patterns.has(source)) patterns.set(source, new RegExp(source));
  return patterns.get(source);
}

function codePoints(text) {
  return Array.from(text).length;
}

function validDay(year, month, day) {
  const moment = new Date(Date.UTC(year, month - 1, day));
  moment.setUTCFullYear(year); // years below 100 would be 19xx
  return moment.getUTCFullYear() === year && moment.getUTCMonth() === month - 1 && moment.getUTCDate() === day;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

// [whole seconds since the epoch, microseconds] of an RFC 3339 time, or null.
function instant(text) {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (!validDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  let seconds = utc.getTime() / 1000;
  if (m[8]) seconds -= (m[8] === "-" ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
  const micro = Number(((m[7] || "") + "000000").slice(0, 6));
  return [seconds, micro];
}

const FORMATS = {
  uuid: (text) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(text),
  date: (text) => {
    const m = DATE.exec(text);
    return Boolean(m) && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
  },
  "date-time": (text) => instant(text) !== null,
};

function localToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function late(rule, text, options) {
  if (rule === "today") {
    return FORMATS.date(text) && text > (options.today || localToday());
  }
  const tolerance = /^now\+(\d+)s$/.exec(rule);
  const moment = instant(text);
  if (!tolerance || moment === null) return false;
  const nowMs = (options.now || new Date()).getTime() + Number(tolerance[1]) * 1000;
  const limit = [Math.floor(nowMs / 1000), (nowMs % 1000) * 1000];
  return moment[0] > limit[0] || (moment[0] === limit[0] && moment[1] > limit[1]);
}

// Errors of `value` against `schema` at `path`, as [path, message] pairs.
function check(schema, value, path, options) {
  if (schema === true || schema === undefined) return [];
  if (schema === false) return [[path, "is not allowed"]];
  const errors = [];
  const fail = (keyword, at = path) => errors.push([at, message(schema, keyword)]);

  if ("type" in schema) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((type) => hasType(value, type))) {
      fail("type");
      return errors; // the server reports one problem per field: the type's
    }
  }
  if ("const" in schema && !equal(value, schema.const)) fail("const");
  if ("enum" in schema && !schema.enum.some((choice) => equal(value, choice))) fail("enum");

  if (typeof value === "string") {
    if ("minLength" in schema && codePoints(value) < schema.minLength) fail("minLength");
    if ("maxLength" in schema && codePoints(value) > schema.maxLength) fail("maxLength");
    if ("pattern" in schema && !regex(schema.pattern).test(value)) fail("pattern");
    else if ("format" in schema && FORMATS[schema.format] && !FORMATS[schema.format](value)) fail("format");
    if ("x-notAfter" in schema && late(schema["x-notAfter"], value, options)) {
      errors.push([path, message(schema, "x-notAfter").replace("{today}", options.today || localToday())]);
    }
  }

  if (typeof value === "number") {
    if ("exclusiveMinimum" in schema && value <= schema.exclusiveMinimum) fail("exclusiveMinimum");
    if ("exclusiveMaximum" in schema && value >= schema.exclusiveMaximum) fail("exclusiveMaximum");
    if ("minimum" in schema && value < schema.minimum) fail("minimum");
    if ("maximum" in schema && value > schema.maximum) fail("maximum");
  }

  if (Array.isArray(value)) {
    if ("minItems" in schema && value.length < schema.minItems) fail("minItems");
    if ("maxItems" in schema && value.length > schema.maxItems) fail("maxItems");
    if ("items" in schema) {
      for (const item of value) errors.push(...check(schema.items, item, path, options));
    }
  }

  if (typeOf(value) === "object") {
    const properties = schema.properties || {};
    const required = schema.required || [];
    const unknown = [];
    for (const name of required) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) fail("required", [...path, name]);
    }
    for (const [name, item] of Object.entries(value)) {
      if (Object.prototype.hasOwnProperty.call(properties, name)) {
        const found = check(properties[name], item, [...path, name], options);
        // null where a value is required: the server says "is required", as for a missing key.
        if (item === null && found.length && required.includes(name)) fail("required", [...path, name]);
        else errors.push(...found);
      } else if (schema.additionalProperties === false) {
        unknown.push(name);
      } else if (typeof schema.additionalProperties === "object") {
        errors.push(...check(schema.additionalProperties, item, [...path, name], options));
      }
    }
    if (unknown.length) {
      // As the server words it: "unknown field(s): a, b" (sorted, the first ten).
      errors.push([path, `${message(schema, "additionalProperties")}: ${unknown.sort().slice(0, 10).join(", ")}`]);
    }
  }

  for (const sub of schema.allOf || []) errors.push(...check(sub, value, path, options));
  if ("anyOf" in schema) {
    const tries = schema.anyOf.map((sub) => check(sub, value, path, options));
    if (!tries.some((found) => found.length === 0)) fail("anyOf");
  }
  if ("oneOf" in schema) {
    const passing = schema.oneOf.filter((sub) => check(sub, value, path, options).length === 0).length;
    if (passing !== 1) fail("oneOf");
  }
  if ("not" in schema && check(schema.not, value, path, options).length === 0) fail("not");
  if ("if" in schema) {
    const branch = check(schema.if, value, path, options).length === 0 ? schema.then : schema.else;
    if (branch !== undefined) errors.push(...check(branch, value, path, options));
  }
  return errors;
}

export function validate(schema, payload, options = {}) {
  const root = schema["x-errorKey"] || "";
  const out = {};
  for (const [path, text] of check(schema, payload, [], options)) {
    const name = path.length ? path.join(".") : root;
    if (!out[name]) out[name] = [];
    if (!out[name].includes(text)) out[name].push(text);
  }
  return out;
}
