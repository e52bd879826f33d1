// @ts-check
// The JS half of the cache's segment reads (core `SegmentRead`): readQuery's results are built
// from a skeleton and the objects of the memoized entries, kept here per client, so after a
// one-item change of a long list only that item's text is parsed and every other item is the
// object the last read returned. Shared objects are frozen: an app that changed one would
// change later results. Imported by the wasm build (wasm-bindgen `module`), called synchronously
// right after each read, so reads are applied in the order they were made.

/** A client's entries: `objects` by entry id, valid for one memo `epoch`. */
export function newSegments() {
  return { epoch: -1, objects: new Map() };
}

/**
 * The result of one segment read. Throws when the skeleton names an entry never sent (the
 * caller then forgets everything and reads again as text).
 * @param {{epoch: number, objects: Map<number, unknown>}} state
 * @param {number} epoch
 * @param {string} skeleton
 * @param {Uint32Array} refs
 * @param {Uint32Array} freshIds
 * @param {string} fresh
 * @param {Uint32Array} dropped
 */
export function assemble(state, epoch, skeleton, refs, freshIds, fresh, dropped) {
  if (state.epoch !== epoch) {
    state.objects.clear();
    state.epoch = epoch;
  }
  const objects = state.objects;
  if (freshIds.length > 0) {
    const parsed = JSON.parse(fresh);
    for (let i = 0; i < freshIds.length; i++) objects.set(freshIds[i], freeze(parsed[i]));
  }
  const result = resolve(JSON.parse(skeleton), objects, refs);
  for (let i = 0; i < dropped.length; i++) objects.delete(dropped[i]);
  return result;
}

/** @param {unknown} value */
function freeze(value) {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key in value) freeze(/** @type {Record<string, unknown>} */ (value)[key]);
  }
  return value;
}

/**
 * @param {Map<number, unknown>} objects
 * @param {number | undefined} id
 */
function entry(objects, id) {
  const object = id === undefined ? undefined : objects.get(id);
  if (object === undefined) throw new Error(`segment read: entry ${id} was never sent`);
  return object;
}

/**
 * Replaces the markers in a parsed skeleton: `{"\u0000": i}` by entry `refs[i]`'s object,
 * `{"\u0000": i, "\u0001": n}` by a list of `refs[i..i+n]`'s.
 * @param {any} value
 * @param {Map<number, unknown>} objects
 * @param {Uint32Array} refs
 * @returns {unknown}
 */
function resolve(value, objects, refs) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (typeof item === 'object' && item !== null) value[i] = resolve(item, objects, refs);
    }
    return value;
  }
  const at = value['\u0000'];
  if (at !== undefined) {
    const length = value['\u0001'];
    if (length === undefined) return entry(objects, refs[at]);
    const list = [];
    for (let i = 0; i < length; i++) list.push(entry(objects, refs[at + i]));
    return list;
  }
  for (const key in value) {
    const field = value[key];
    if (typeof field === 'object' && field !== null) value[key] = resolve(field, objects, refs);
  }
  return value;
}
