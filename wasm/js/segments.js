// @ts-check
// The JS half of the cache's segment reads (core `SegmentRead`): readQuery's results are built
// from a skeleton and the objects of the memoized entries, kept here per client, so after a
// one-item change of a long list only that item is built and every other item is the object
// the last read returned. New entries come as a tape (core `FreshTape`: numbers, and the text
// of their strings), which builds objects faster than JSON.parse of their text would, and
// makes one object of each record a read reaches more than once (an owner of many items). Shared
// objects are frozen: an app that changed one would change later results. Imported by the wasm
// build (wasm-bindgen `module`), called synchronously right after each read, so reads are
// applied in the order they were made.

/** A client's entries by memo slot: each slot's entry `ids` and parsed `objects`, and its kept
 * `lists` by place (a list id and a private copy of the items), valid for one memo `epoch`.
 * Slots and places are dense and bounded by the memo's size, so plain arrays hold them. */
export function newSegments() {
  return { epoch: -1, ids: [], objects: [], lists: [], chunks: [] };
}

/**
 * The read starts over, or its chunks are not used: they are dropped.
 * @param {State} state
 */
export function freshStart(state) {
  state.chunks = [];
}

/**
 * A chunk of the next result's fresh entries (a tape, before the read's own). `ops` is a view
 * of wasm memory: kept as a copy.
 * @param {State} state
 * @param {Uint32Array} ops
 * @param {string} strings
 */
export function freshChunk(state, ops, strings) {
  state.chunks.push({ ops: ops.slice(), strings });
}

/**
 * The result of one segment read. Throws when the skeleton names an entry never sent (the
 * caller then forgets everything and reads again as text).
 * @param {State} state
 * @param {number} epoch
 * @param {string} skeleton
 * @param {Uint32Array} refs slots
 * @param {Uint32Array} refIds
 * @param {Uint32Array} freshSlots
 * @param {Uint32Array} freshIds
 * @param {Uint32Array} freshOps the read's own tape (a view of wasm memory, read at once)
 * @param {string} freshStrings
 * @param {string} keys the keys the tapes name by number, a JSON array
 * @param {Uint32Array} patches
 */
export function assemble(state, epoch, skeleton, refs, refIds, freshSlots, freshIds, freshOps, freshStrings, keys, patches) {
  const chunks = state.chunks;
  state.chunks = [];
  if (state.epoch !== epoch) {
    state.ids = [];
    state.objects = [];
    state.lists = [];
    state.epoch = epoch;
  }
  if (freshIds.length > 0) {
    chunks.push({ ops: freshOps, strings: freshStrings });
    const names = JSON.parse(keys);
    /** @type {unknown[]} */
    const built = [];
    /** @type {object[]} */
    const made = [];
    for (const chunk of chunks) decode(chunk.ops, chunk.strings, names, built, made);
    if (built.length !== freshIds.length) throw new Error(`segment read: ${built.length} fresh entries for ${freshIds.length}`);
    for (let i = 0; i < freshIds.length; i++) {
      state.ids[freshSlots[i]] = freshIds[i];
      state.objects[freshSlots[i]] = built[i];
    }
  }
  return resolve(JSON.parse(skeleton), { state, refs, refIds, patches });
}

/** @typedef {{epoch: number, ids: number[], objects: unknown[], lists: ({id: number, items: unknown[]} | undefined)[], chunks: {ops: Uint32Array, strings: string}[]}} State */
/** @typedef {{state: State, refs: Uint32Array, refIds: Uint32Array, patches: Uint32Array}} Read */

/** Ends an object in a tape. */
const END = 0xffffffff;

/**
 * Appends the values of a tape (core `FreshTape`) to `values`, objects and lists frozen.
 * Throws when the tape is not one (the caller then reads again as text).
 * @param {Uint32Array} ops
 * @param {string} strings
 * @param {string[]} keys
 * @param {unknown[]} values
 * @param {object[]} made the objects of the read's earlier chunks, in the order they began
 */
function decode(ops, strings, keys, values, made) {
  let p = 0;
  let s = 0;
  const text = () => {
    const end = s + ops[p++];
    const value = strings.substring(s, end);
    s = end;
    return value;
  };
  /** @returns {unknown} */
  const value = () => {
    const op = ops[p++];
    switch (op) {
      case 0:
        return null;
      case 1:
        return false;
      case 2:
        return true;
      case 3:
        return ops[p++] | 0;
      case 4:
        return text();
      case 5:
        return Number(text());
      case 6:
        return freeze(JSON.parse(text()));
      case 7: {
        /** @type {Record<string, unknown>} */
        const object = {};
        made.push(object);
        for (let k = ops[p++]; k !== END; k = ops[p++]) {
          const key = keys[k];
          if (key === undefined) throw new Error(`segment read: no key ${k}`);
          object[key] = value();
        }
        return Object.freeze(object);
      }
      case 8: {
        const length = ops[p++];
        const list = new Array(length);
        for (let i = 0; i < length; i++) list[i] = value();
        return Object.freeze(list);
      }
      case 9: {
        const object = made[ops[p++]];
        if (object === undefined) throw new Error(`segment read: no object ${ops[p - 1]}`);
        return object;
      }
      case 10: {
        const name = keys[ops[p++]];
        if (name === undefined) throw new Error(`segment read: no name ${ops[p - 1]}`);
        return name;
      }
      default:
        throw new Error(`segment read: tape op ${op} at ${p - 1}`);
    }
  };
  while (p < ops.length) values.push(value());
  if (p !== ops.length || s !== strings.length) throw new Error('segment read: a tape cut short');
}

/**
 * Freezes a parsed object and every object and array in it (JSON.parse's: no cycles, nothing
 * frozen yet).
 * @param {any} value
 */
function freeze(value) {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const key in value) {
      const field = value[key];
      if (typeof field === 'object' && field !== null) freeze(field);
    }
  }
  return value;
}

/**
 * The object of marker `i`.
 * @param {Read} read
 * @param {number} i
 */
function entry(read, i) {
  const slot = read.refs[i];
  if (slot === undefined || read.state.ids[slot] !== read.refIds[i]) throw new Error(`segment read: marker ${i} names an entry never sent`);
  return read.state.objects[slot];
}

/**
 * Replaces the markers in a parsed skeleton: `{"\u0000": i}` by marker `i`'s object,
 * `{"\u0000": i, "\u0001": n}` by a list of markers `i..i+n`'s (kept under `"\u0002"`, as list
 * `"\u0003"`, when given), and a patch marker (with `"\u0004": q`) by the kept list with item
 * `patches[q + j]` now marker `i + j`'s object.
 * @param {any} value
 * @param {Read} read
 * @returns {unknown}
 */
function resolve(value, read) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'object' && item !== null) value[i] = resolve(item, read);
    }
    return value;
  }
  const at = value['\u0000'];
  if (at !== undefined) {
    const length = value['\u0001'];
    if (length === undefined) return entry(read, at);
    const place = value['\u0002'];
    const from = value['\u0004'];
    if (from !== undefined) {
      const kept = read.state.lists[place];
      if (kept === undefined || kept.id !== value['\u0003']) throw new Error(`segment read: list ${value['\u0003']} was never kept`);
      for (let j = 0; j < length; j++) {
        const position = read.patches[from + j];
        if (position === undefined || position >= kept.items.length) throw new Error(`segment read: no item ${position} in list ${kept.id}`);
        kept.items[position] = entry(read, at + j);
      }
      return kept.items.slice();
    }
    const { state, refs, refIds } = read;
    const { ids, objects } = state;
    const list = [];
    for (let i = at; i < at + length; i++) {
      const slot = refs[i];
      if (slot === undefined || ids[slot] !== refIds[i]) throw new Error(`segment read: marker ${i} names an entry never sent`);
      list.push(objects[slot]);
    }
    if (place !== undefined) state.lists[place] = { id: value['\u0003'], items: list.slice() };
    return list;
  }
  for (const key in value) {
    const field = value[key];
    if (typeof field === 'object' && field !== null) value[key] = resolve(field, read);
  }
  return value;
}

/**
 * Whether two results of one query hold the same data. The objects of unchanged entities are
 * the same objects in both, so only what differs is compared field by field.
 * @param {unknown} a
 * @param {unknown} b
 * @returns {boolean}
 */
export function sameResult(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameResult(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !sameResult(/** @type {any} */ (a)[key], /** @type {any} */ (b)[key])) return false;
  }
  return true;
}
