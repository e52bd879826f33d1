// Deterministic benchmark data shared by every cache benchmark (the peers in
// peers.mjs, our wasm benchmark, and — re-implemented byte for byte — the
// native Rust benchmark). Everything here is a pure function of `n`.
//
// ## Exact format (the Rust generator must produce identical bytes)
//
// Query document (QUERY below, one line, single spaces, no `__typename`; the
// caches add `__typename` to selection sets themselves):
//
//   query ListTodos($limit: Int) { listTodos(limit: $limit) { items { id name description priority owner { id name } } nextToken } }
//
// Variables for size n: {"limit":n}
//
// Response body for size n: compact JSON (no whitespace anywhere, no trailing
// newline), keys in exactly this order:
//
//   {"data":{"listTodos":{"__typename":"ModelTodoConnection","items":[ITEM_0,ITEM_1,…,ITEM_{n-1}],"nextToken":null}}}
//
// where ITEM_i (i = 0 … n-1, items separated by a single comma) is
//
//   {"__typename":"Todo","id":"todo-<i>","name":"Todo <i>","description":"<DESC_i>","priority":<P_i>,"owner":{"__typename":"User","id":"user-<u>","name":"User <u>"}}
//
// with
//   <i>, <u>  decimal integers without padding, u = i % 100 (100 users shared
//             by all items, so owners are normalized 100 times over);
//   P_i       = i % 5 + 1  (a JSON integer 1…5);
//   DESC_i    = "Description of todo <i>: buy milk, call the plumber, water the plants and answer the mail."
//             (ASCII only, nothing that JSON needs to escape).
//
// Example for n = 1:
//   {"data":{"listTodos":{"__typename":"ModelTodoConnection","items":[{"__typename":"Todo","id":"todo-0","name":"Todo 0","description":"Description of todo 0: buy milk, call the plumber, water the plants and answer the mail.","priority":1,"owner":{"__typename":"User","id":"user-0","name":"User 0"}}],"nextToken":null}}}
//
// The single-item update used by the `update_one_then_read` figure changes
// the name of item k = floor(n / 2) (`Todo:todo-<k>`) to "Todo <k> (renamed)";
// see updatedItem() below.

/** The benchmark's query document, exactly as sent by the app. */
export const QUERY =
  'query ListTodos($limit: Int) { listTodos(limit: $limit) { items { id name description priority owner { id name } } nextToken } }';

/** Fragment used to change one item's name (for `update_one_then_read`). */
export const TODO_NAME_FRAGMENT = 'fragment TodoName on Todo { name }';

/** Number of distinct owners; item i is owned by user-(i % USERS). */
export const USERS = 100;

/** Variables of the query for a list of n items. */
export function listTodosVariables(n) {
  return { limit: n };
}

/** Name of item i (used by the benchmarks to validate what they read). */
export function todoName(i) {
  return `Todo ${i}`;
}

/** Description of item i. */
export function todoDescription(i) {
  return `Description of todo ${i}: buy milk, call the plumber, water the plants and answer the mail.`;
}

/** The item of a list of n items that `update_one_then_read` renames, and its new name. */
export function updatedItem(n) {
  const k = Math.floor(n / 2);
  return { index: k, typename: 'Todo', id: `todo-${k}`, name: `Todo ${k} (renamed)` };
}

/**
 * JSON text of the full response body for a list of n items (see the format
 * above). Built by concatenation rather than JSON.stringify so that the byte
 * layout is explicit and easy to reproduce in Rust.
 */
export function listTodosJson(n) {
  const parts = new Array(n);
  for (let i = 0; i < n; i++) {
    const u = i % USERS;
    parts[i] =
      `{"__typename":"Todo","id":"todo-${i}","name":"${todoName(i)}",` +
      `"description":"${todoDescription(i)}","priority":${(i % 5) + 1},` +
      `"owner":{"__typename":"User","id":"user-${u}","name":"User ${u}"}}`;
  }
  return (
    '{"data":{"listTodos":{"__typename":"ModelTodoConnection","items":[' +
    parts.join(',') +
    '],"nextToken":null}}}'
  );
}
