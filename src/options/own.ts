/**
 * Reading what a caller passed through its own properties only. A plain `o.field` read follows the
 * prototype chain, so a polluted `Object.prototype` (by some other package's bug) could switch off
 * certificate checks or reroute a dial; these helpers never look past the object itself, read each
 * property once (a getter cannot answer differently the second time) and return copies that later
 * changes to the caller's objects cannot reach.
 */

/** `value[key]` when `key` is an own property of `value`, else undefined. */
export function own(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** Whether `value` is an object that is not an array (a record of options). */
export function isRecord(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The descriptor `bare` defines each property with; its value is set before each use. */
const DATA = Object.create(null) as PropertyDescriptor;
DATA.enumerable = true;

/**
 * A frozen, prototype-less copy of `fields`, leaving out fields that are undefined. Everything
 * downstream reads options from such records.
 */
export function bare<T extends object>(fields: T): T {
  // Made as an ordinary object and given a null prototype after: V8 keeps it in fast mode, where
  // an object made by Object.create(null) is a hash table several times the size (options are
  // snapshotted per connect, and the snapshot lives through the dial). Each property is defined,
  // not assigned, through a descriptor with no prototype, so nothing planted on Object.prototype
  // (a setter, a `get`) takes part meanwhile.
  const out = {};
  // for-in walks V8's cached key list of the object's shape, where Object.keys makes an array;
  // what it finds up the prototype chain is skipped.
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = (fields as Record<string, unknown>)[key];
    if (value === undefined) continue;
    DATA.value = value;
    Object.defineProperty(out, key, DATA);
  }
  DATA.value = undefined;
  Object.setPrototypeOf(out, null);
  return Object.freeze(out) as T;
}

/**
 * The own enumerable string-keyed entries of a record, each value read once, as a frozen
 * prototype-less record.
 */
export function ownEntries(value: object): Readonly<Record<string, unknown>> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = (value as Record<string, unknown>)[key];
  return Object.freeze(out);
}

/**
 * A frozen copy of an array's elements, or undefined when `value` is not an array or has a hole
 * (a hole would be read through the prototype chain by `map`, `some` and indexing).
 */
export function ownArray(value: unknown): readonly unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const length = value.length;
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) {
    if (!Object.hasOwn(value, i)) return undefined;
    out.push(value[i]);
  }
  return Object.freeze(out);
}

/**
 * `fields` in a fresh object with no prototype, for Node APIs that read options they were not
 * given (`net.connect` reads `path`, `localAddress`, `lookup`…): through a polluted
 * `Object.prototype` those would move the connection elsewhere.
 */
export function prototypeless<T extends object>(fields: T): T {
  // A spread defines the properties (no setter on Object.prototype runs), and the copy stays in
  // V8's fast mode, where Object.create(null) would make a hash table.
  return Object.setPrototypeOf({ ...fields }, null) as T;
}
