// @ts-check
// The JS half of writes from JS objects: the app's data walked into a write tape (core
// `WriteTape`), which the cache normalizes without any JSON text being made or parsed. The tape
// holds what JSON.stringify would write of the data: `toJSON` (a Date's), boxed primitives,
// `undefined`, functions and symbols (left out of objects, null in lists), NaN and the
// infinities (null) are taken as it takes them, and what it throws on (a cycle, a BigInt) is
// thrown. Imported by the wasm build (wasm-bindgen `module`), called synchronously when the
// write is asked for, so a later change to the app's object does not reach the cache.

/** Ends an object in a tape (core `TAPE_OBJECT_END`). */
const END = 0xffffffff;
/** A chunk holds about this many ops: the cache reads one at a time, so wasm memory holds
 * little of the tape at once. */
const CHUNK = 16384;
/** Deeper than this, a part is handed to JSON.stringify, which throws on a cycle; data that
 * deep and acyclic is an error too (the core refuses data nested 128 levels deep anyway). */
const DEEP = 256;

/**
 * @typedef {{ops: Uint32Array, strings: string}} Chunk
 * @typedef {{chunks: Chunk[], keys: string[], size: number}} Tape
 */

/**
 * The write tape of `data` (see core `WriteTape`). Throws what JSON.stringify would throw.
 * @param {unknown} data
 * @returns {Tape}
 */
export function walkTape(data) {
  /** @type {Map<string, number>} */
  const keyIds = new Map();
  /** @type {string[]} */
  const keys = [];
  /** @type {Chunk[]} */
  const chunks = [];
  // Small at first (most writes are small), doubled up to a chunk's size.
  let ops = new Uint32Array(64);
  let p = 0;
  // A chunk's strings, joined once when it is full (appending to one string would make a
  // rope of every string, which the engine builds and then flattens).
  /** @type {string[]} */
  const parts = [];
  let size = 0;
  // An op group never spans two chunks: room for `n` more ops is made before each.
  /** @param {number} n */
  const room = (n) => {
    if (p + n <= ops.length) return;
    if (p + n <= CHUNK) {
      const grown = new Uint32Array(Math.min(ops.length * 2, CHUNK));
      grown.set(ops.subarray(0, p));
      ops = grown;
      return;
    }
    const strings = parts.join('');
    chunks.push({ ops: ops.slice(0, p), strings });
    size += p * 4 + strings.length;
    p = 0;
    parts.length = 0;
  };
  /**
   * Writes `value`, the value of `key` in its holder, as JSON.stringify would; false when it
   * writes nothing for it (the caller leaves the key out, or writes null in a list). `plain`:
   * the value is JSON.parse's (no `toJSON` to call, nothing but plain objects and lists).
   * @param {unknown} value
   * @param {string | number} key a list's items' keys are their indexes
   * @param {number} depth
   * @param {boolean} plain
   * @returns {boolean}
   */
  const walk = (value, key, depth, plain) => {
    switch (typeof value) {
      case 'string':
        room(2);
        ops[p++] = 4;
        ops[p++] = value.length;
        parts.push(value);
        return true;
      case 'number':
        room(2);
        if ((value | 0) === value) {
          ops[p++] = 3;
          ops[p++] = value;
        } else if (Number.isFinite(value)) {
          const text = String(value);
          ops[p++] = 5;
          ops[p++] = text.length;
          parts.push(text);
        } else {
          ops[p++] = 0;
        }
        return true;
      case 'boolean':
        room(1);
        ops[p++] = value ? 2 : 1;
        return true;
      case 'undefined':
      case 'symbol':
        return false;
      case 'function': {
        // Called, as on any object, when it has a `toJSON`; otherwise nothing.
        const toJSON = /** @type {{toJSON?: unknown}} */ (value).toJSON;
        return typeof toJSON === 'function' ? walkResult(toJSON.call(value, String(key)), key, depth) : false;
      }
      case 'object': {
        if (value === null) {
          room(1);
          ops[p++] = 0;
          return true;
        }
        if (!plain) {
          const toJSON = /** @type {{toJSON?: unknown}} */ (value).toJSON;
          if (typeof toJSON === 'function') return walkResult(toJSON.call(value, String(key)), key, depth);
        }
        return walkObject(/** @type {object} */ (value), key, depth, plain);
      }
    }
    // A BigInt: JSON.stringify throws (or calls a `toJSON` someone gave BigInts).
    return viaJson(value, key, depth);
  };
  /**
   * What a `toJSON` returned, written without calling `toJSON` again (as JSON.stringify does).
   * @param {unknown} value
   * @param {string | number} key
   * @param {number} depth
   */
  const walkResult = (value, key, depth) => {
    if (typeof value === 'object' && value !== null) return walkObject(value, key, depth, false);
    if (typeof value === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    return typeof value === 'function' ? false : walk(value, key, depth, true);
  };
  /**
   * @param {object} value
   * @param {string | number} key
   * @param {number} depth
   * @param {boolean} plain
   * @returns {boolean}
   */
  const walkObject = (value, key, depth, plain) => {
    if (depth >= DEEP) {
      // A cycle, most likely: JSON.stringify throws on one. Data this deep the cache refuses
      // anyway (128 levels), so a tree this deep is an error of its own.
      if (plain) throw new RangeError(`the data is nested more than ${DEEP} levels deep`);
      return viaJson(value, key, depth);
    }
    if (!plain) {
      const proto = Object.getPrototypeOf(value);
      // Boxed primitives and raw JSON are written as JSON.stringify writes them; any other
      // object (a class instance too) by its own enumerable fields, as it does. (Not looked
      // for among objects whose prototype is Object.prototype: a boxed primitive given that
      // prototype is written as an object.)
      if (proto !== Object.prototype && !Array.isArray(value) && (isBoxed(value) || (proto === null && isRawJson(value)))) {
        return viaJson(value, key, depth);
      }
    }
    if (Array.isArray(value)) {
      const length = value.length;
      room(2);
      ops[p++] = 8;
      ops[p++] = length;
      for (let i = 0; i < length; i++) {
        if (!walk(value[i], i, depth + 1, plain)) {
          room(1);
          ops[p++] = 0;
        }
      }
      return true;
    }
    room(1);
    ops[p++] = 7;
    const object = /** @type {Record<string, unknown>} */ (value);
    for (const name of Object.keys(object)) {
      const field = object[name];
      const kind = typeof field;
      if (kind === 'undefined' || kind === 'symbol') continue;
      let id = keyIds.get(name);
      if (id === undefined) {
        id = keys.length;
        keyIds.set(name, id);
        keys.push(name);
      }
      // The key and its value's first op in one chunk, so a value that writes nothing
      // (a function, a `toJSON` that returns undefined) takes its key back out.
      room(3);
      ops[p++] = id;
      if (!walk(field, name, depth + 1, plain)) p--;
    }
    room(1);
    ops[p++] = END;
    return true;
  };
  /**
   * `value` (the value of `key`) as JSON.stringify writes it, read back (JSON.parse's plain
   * value) and walked: for what only the engine knows how to write.
   * @param {unknown} value
   * @param {string | number} key
   * @param {number} depth
   * @returns {boolean}
   */
  const viaJson = (value, key, depth) => {
    const name = String(key);
    // A holder without a prototype: nothing inherited (a `toJSON`, a polluted field) joins in.
    /** @type {Record<string, unknown>} */
    const holder = Object.create(null);
    holder[name] = value;
    const parsed = JSON.parse(JSON.stringify(holder));
    return Object.hasOwn(parsed, name) ? walk(parsed[name], name, depth, true) : false;
  };
  if (!walk(data, '', 0, false)) {
    room(1);
    ops[p++] = 0;
  }
  const strings = parts.join('');
  chunks.push({ ops: ops.subarray(0, p), strings });
  size += p * 4 + strings.length;
  return { chunks, keys, size };
}

const objectToString = Object.prototype.toString;

/**
 * A Number, String, Boolean or BigInt object (from any realm).
 * @param {object} value
 */
function isBoxed(value) {
  const tag = objectToString.call(value);
  return tag === '[object Number]' || tag === '[object String]' || tag === '[object Boolean]' || tag === '[object BigInt]';
}

/**
 * A `JSON.rawJSON` value, where the engine has them.
 * @param {object} value
 */
function isRawJson(value) {
  const json = /** @type {{isRawJSON?: (value: unknown) => boolean}} */ (JSON);
  return typeof json.isRawJSON === 'function' && json.isRawJSON(value);
}

/**
 * The keys a tape's objects name by number.
 * @param {Tape} tape
 */
export function tapeKeys(tape) {
  return tape.keys;
}

/**
 * About how many bytes the data's JSON text would be.
 * @param {Tape} tape
 */
export function tapeSize(tape) {
  return tape.size;
}

/**
 * Chunk `i`'s ops, or undefined past the last.
 * @param {Tape} tape
 * @param {number} i
 */
export function tapeOps(tape, i) {
  return tape.chunks[i]?.ops;
}

/**
 * Chunk `i`'s strings.
 * @param {Tape} tape
 * @param {number} i
 */
export function tapeStrings(tape, i) {
  return tape.chunks[i]?.strings ?? '';
}
