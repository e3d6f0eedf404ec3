import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema } from './event-contract.js';

/**
 * Compares a published JSON Schema with the one the code now produces and lists every change that
 * would break someone who relies on the published one:
 * - a consumer: a required field removed, no longer required, or retyped (now accepting another
 *   JSON type, e.g. null); a closed list of values opened;
 * - the log and its producers: events valid under the published schema — already in the log,
 *   replayed at any time, or still sent by an older producer — must stay valid, so no type or
 *   value narrowed, no new required field, no field removed, no constraint changed.
 * Allowed: adding an optional field, adding a value to an enum, opening a closed object, editing
 * descriptions. Anything the checker cannot compare structurally must be unchanged.
 *
 * Handles the subset of JSON Schema that `z.toJSONSchema` emits (type, anyOf, const, enum,
 * properties/required/additionalProperties, items, string and number constraints).
 * @example findBreakingChanges(published, current) // [{ path: 'amount.amount_minor', change: 'was required, now removed' }]
 */
export function findBreakingChanges(published: JsonSchema, current: JsonSchema): BreakingChange[] {
  const out: BreakingChange[] = [];
  compare(published, current, '', out);
  return out;
}

export interface BreakingChange {
  /** Where, as a dotted path into `data` (`[]` for array items, `{}` for record values); '' is the root. */
  path: string;
  change: string;
}

type Node = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'examples', 'default', 'deprecated', '$comment', 'readOnly']);
// Keywords compared with their own rule; every other keyword must be unchanged.
const STRUCTURAL = new Set(['type', 'anyOf', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'propertyNames']);

const ANY = 'any value';

/** A schema split by the JSON type each part accepts; `null` when it cannot be split cleanly. */
function splitByType(schema: unknown): Map<string, Node> | null {
  if (schema === true || (isNode(schema) && Object.keys(strip(schema)).length === 0)) return new Map([[ANY, {}]]);
  if (!isNode(schema)) return null;
  const own = strip(schema);
  const result = new Map<string, Node>();
  const add = (type: string, node: Node) => {
    if (result.has(type)) return false;
    result.set(type, node);
    return true;
  };
  if (Array.isArray(own.anyOf)) {
    if (Object.keys(own).length > 1) return null;
    for (const branch of own.anyOf) {
      const parts = splitByType(branch);
      if (!parts) return null;
      for (const [t, n] of parts) if (!add(t, n)) return null;
    }
    return result;
  }
  if (typeof own.type === 'string') return new Map([[own.type, own]]);
  if (Array.isArray(own.type)) {
    for (const t of own.type) if (typeof t !== 'string' || !add(t, { ...own, type: t })) return null;
    return result;
  }
  const values = 'const' in own ? [own.const] : Array.isArray(own.enum) ? own.enum : null;
  if (values) {
    for (const t of new Set(values.map(jsonTypeOf))) {
      const of = values.filter((v) => jsonTypeOf(v) === t);
      add(t, 'const' in own ? { ...own, type: t } : { ...own, type: t, enum: of });
    }
    return result;
  }
  return null;
}

function compare(before: unknown, after: unknown, path: string, out: BreakingChange[]): void {
  const a = splitByType(before);
  const b = splitByType(after);
  if (!a || !b) {
    if (!isDeepStrictEqual(deepStrip(before), deepStrip(after)))
      out.push({ path, change: 'changed in a way that cannot be checked; publish it as a new major version' });
    return;
  }
  if (a.has(ANY) && b.has(ANY)) return;
  for (const t of a.keys()) if (!b.has(t)) out.push({ path, change: `no longer accepts ${t} (narrowed)` });
  for (const t of b.keys()) if (!a.has(t)) out.push({ path, change: `now also accepts ${t}; consumers do not expect it (retyped)` });
  for (const [t, node] of a) {
    const other = b.get(t);
    if (other) compareSameType(node, other, path, out);
  }
}

function compareSameType(before: Node, after: Node, path: string, out: BreakingChange[]): void {
  compareValues(before, after, path, out);
  if (before.type === 'object') compareObjects(before, after, path, out);
  if (before.type === 'array') {
    if ('items' in before || 'items' in after) compare(before.items ?? {}, after.items ?? {}, `${path}[]`, out);
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    if (STRUCTURAL.has(k) || ANNOTATIONS.has(k)) continue;
    if (!isDeepStrictEqual(before[k], after[k])) {
      out.push({ path, change: `constraint ${k} changed from ${show(before[k])} to ${show(after[k])}` });
    }
  }
}

function compareValues(before: Node, after: Node, path: string, out: BreakingChange[]): void {
  if ('const' in before || 'const' in after) {
    if (!('const' in before && 'const' in after && isDeepStrictEqual(before.const, after.const))) {
      out.push({ path, change: `constant changed from ${show(before.const)} to ${show(after.const)}` });
    }
    return;
  }
  const was = Array.isArray(before.enum) ? before.enum : null;
  const now = Array.isArray(after.enum) ? after.enum : null;
  if (was && !now) out.push({ path, change: `was a closed list ${show(was)}, now any value; consumers do not expect that` });
  if (!was && now) out.push({ path, change: `was any value, now only ${show(now)} (narrowed)` });
  if (was && now) {
    const removed = was.filter((v) => !now.some((w) => isDeepStrictEqual(v, w)));
    if (removed.length > 0) out.push({ path, change: `no longer accepts ${show(removed)} (narrowed)` });
  }
}

function compareObjects(before: Node, after: Node, path: string, out: BreakingChange[]): void {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  const propsBefore = isNode(before.properties) ? before.properties : {};
  const propsAfter = isNode(after.properties) ? after.properties : {};
  const reqBefore = new Set(Array.isArray(before.required) ? (before.required as string[]) : []);
  const reqAfter = new Set(Array.isArray(after.required) ? (after.required as string[]) : []);
  const closedAfter = after.additionalProperties === false;

  for (const [k, schema] of Object.entries(propsBefore)) {
    if (!(k in propsAfter)) {
      if (reqBefore.has(k)) out.push({ path: at(k), change: 'was required, now removed' });
      else if (closedAfter) out.push({ path: at(k), change: 'was optional, now removed; events that carry it would be rejected' });
      continue;
    }
    if (reqBefore.has(k) && !reqAfter.has(k)) out.push({ path: at(k), change: 'was required, now optional; consumers rely on it' });
    if (!reqBefore.has(k) && reqAfter.has(k))
      out.push({ path: at(k), change: 'was optional, now required; events already in the log lack it' });
    compare(schema, propsAfter[k], at(k), out);
  }
  for (const k of Object.keys(propsAfter)) {
    if (!(k in propsBefore) && reqAfter.has(k)) out.push({ path: at(k), change: 'new required field; events already in the log lack it' });
  }

  const apBefore = before.additionalProperties;
  const apAfter = after.additionalProperties;
  const isOpen = (v: unknown) => v === undefined || v === true || (isNode(v) && Object.keys(strip(v)).length === 0);
  if (isOpen(apBefore)) {
    if (!isOpen(apAfter)) out.push({ path, change: 'accepted any other field, now restricts them (narrowed)' });
  } else if (apBefore !== false) {
    if (apAfter === false) out.push({ path, change: 'accepted other fields, now rejects them (narrowed)' });
    else if (isOpen(apAfter)) out.push({ path: `${path}{}`, change: 'values were typed, now any value (retyped)' });
    else compare(apBefore, apAfter, `${path}{}`, out);
  }
  if ('propertyNames' in before || 'propertyNames' in after) {
    compare(before.propertyNames ?? {}, after.propertyNames ?? {}, `${path}{names}`, out);
  }
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strip(node: Node): Node {
  return Object.fromEntries(Object.entries(node).filter(([k]) => !ANNOTATIONS.has(k)));
}

function deepStrip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepStrip);
  if (isNode(v)) return Object.fromEntries(Object.entries(strip(v)).map(([k, x]) => [k, deepStrip(x)]));
  return v;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  return v === undefined ? 'none' : JSON.stringify(v);
}
