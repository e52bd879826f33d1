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
/** Deeper than this, a part is handed to JSON.stringify, which throws on a cycle (the core
 * refuses data nested 128 levels deep anyway). */
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
  let ops = new Uint32Array(CHUNK + 8);
  let p = 0;
  let strings = '';
  let size = 0;
  // An op group never spans two chunks: room for `n` more ops is made before each.
  /** @param {number} n */
  const room = (n) => {
    if (p + n > CHUNK) {
      chunks.push({ ops: ops.subarray(0, p), strings });
      size += p * 4 + strings.length;
      ops = new Uint32Array(CHUNK + 8);
      p = 0;
      strings = '';
    }
  };
  /**
   * Writes `value`, the value of `key` in its holder; false when JSON.stringify writes nothing
   * for it (the caller leaves the key out, or writes null in a list).
   * @param {unknown} value
   * @param {string | number} key a list's items' keys are their indexes
   * @param {number} depth
   * @returns {boolean}
   */
  const walk = (value, key, depth) => {
    switch (typeof value) {
      case 'string':
        room(2);
        ops[p++] = 4;
        ops[p++] = value.length;
        strings += value;
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
          strings += text;
        } else {
          ops[p++] = 0;
        }
        return true;
      case 'boolean':
        room(1);
        ops[p++] = value ? 2 : 1;
        return true;
      case 'undefined':
      case 'function':
      case 'symbol':
        return false;
      case 'object': {
        if (value === null) {
          room(1);
          ops[p++] = 0;
          return true;
        }
        if (depth >= DEEP || typeof (/** @type {{toJSON?: unknown}} */ (value).toJSON) === 'function') break;
        if (Array.isArray(value)) {
          const length = value.length;
          room(2);
          ops[p++] = 8;
          ops[p++] = length;
          for (let i = 0; i < length; i++) {
            if (!walk(value[i], i, depth + 1)) {
              room(1);
              ops[p++] = 0;
            }
          }
          return true;
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) break;
        room(1);
        ops[p++] = 7;
        const object = /** @type {Record<string, unknown>} */ (value);
        for (const name of Object.keys(object)) {
          const field = object[name];
          const kind = typeof field;
          if (kind === 'undefined' || kind === 'function' || kind === 'symbol') continue;
          let id = keyIds.get(name);
          if (id === undefined) {
            id = keys.length;
            keyIds.set(name, id);
            keys.push(name);
          }
          // The key and its value's first op in one chunk, so a value that writes nothing
          // (a `toJSON` that returns undefined) takes its key back out.
          room(3);
          ops[p++] = id;
          if (!walk(field, name, depth + 1)) p--;
        }
        room(1);
        ops[p++] = END;
        return true;
      }
    }
    // Anything else (a Date, a class instance, a boxed primitive, a BigInt, a part too deep)
    // as JSON.stringify writes it, under its own key so `toJSON` is called as it would be.
    const name = String(key);
    const text = JSON.stringify({ [name]: value });
    const plain = JSON.parse(text)[name];
    return plain === undefined ? false : walk(plain, key, 0);
  };
  if (!walk(data, '', 0)) {
    room(1);
    ops[p++] = 0;
  }
  chunks.push({ ops: ops.subarray(0, p), strings });
  size += p * 4 + strings.length;
  return { chunks, keys, size };
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
