// Cache benchmark of the appsync-rs web package (the wasm build, run under Node) on the data of
// data.mjs, printing the same JSON lines as peers.mjs so the two can be read side by side:
//
//   node --expose-gc cache.mjs [--n 10000] [--build speed|all-z]
//                               (npm run bench:cache; needs scripts/build-web.sh)
//
// `--build speed` runs the same figures on the speed build of wasm/bench/build-speed.sh (the
// package built at opt-level 3 instead of "z", about 1.5 times its gzip size; its lines say
// `appsync-rs-wasm-speed`), to show what the package's size costs in speed; `--build all-z` on
// its all-z build (the package without its hot paths built for speed: every function for
// size; `appsync-rs-wasm-all-z`), to show what those gain.
//
// Like for like with the peers:
//   write                 JSON.parse of the response text + `client.writeQuery(request, data)`
//                         (the package's public API; inside, `js/tape.js` walks the object into
//                         a write tape, which the Rust cache normalizes a chunk at a time).
//                         Its line also shows `parse_median_ms` (the JSON.parse alone) and
//                         `crossing_median_ms`: JSON.stringify of the data plus TextEncoder's
//                         UTF-8 of that text, what handing the object to wasm as JSON text
//                         would cost (the route before the tape) before the Rust side starts,
//                         and `walk_median_ms`: the tape walk alone (`walkTape` of the package's
//                         own `tape.js`) plus TextEncoder's UTF-8 of its chunks' strings, what
//                         the write pays in JS now.
//   read_after_write      the first `client.readQuery(request)` after that write, which resolves
//                         to a plain JS object (not a handle into wasm memory). Its line also
//                         shows `json_parse_median_ms`: JSON.parse of the result's own text, the
//                         engine's fastest way to make those objects, a floor for any read that
//                         ends in them.
//   update_one_then_read  `client.writeFragment` of Todo:todo-<n/2>'s new name, then
//                         `readQuery` of the whole list again.
//   query_network         `client.query(request)` (network-only) on a fresh client whose `fetch`
//                         (the global one, replaced for this figure) answers at once with the
//                         response text: the body handed to wasm, normalized into the cache
//                         from its text, and the data returned as a JS object (JSON.parse of
//                         the data's text). The client's own path from the network; it has no
//                         peer figure (theirs would be `write` plus handing back the parsed
//                         object, which they have for free).
//   watch_update_emit     a `client.watchQuery` (cache-only, callback) over the list that has
//                         delivered its result; then `writeFragment` of one item's new name,
//                         until the callback has the list with that name (as a JS object).
//   heap                  (a separate, untimed run on a fresh module instance) the growth of the
//                         wasm linear memory plus the JS heap (after global.gc()) caused by the
//                         write (`heap_mib`), and after the first read with its result kept
//                         (`heap_after_read_mib`, as peers.mjs measures it). Linear memory never
//                         shrinks, so each is a high-water mark: an upper bound of what holding
//                         the data costs. With the alloc-stats build (wasm/bench/build-stats.sh)
//                         the line also shows the Rust heap's live bytes after the write and
//                         after the read (`rust_live_mib`, `rust_live_after_read_mib`: what the
//                         cache holds, like the peers' heap after a GC) and the write's peak
//                         (`rust_peak_mib`), from a second run on that build.
// Every read is checked (item count, last item's name, the renamed item); a mismatch exits 1.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { QUERY, TODO_NAME_FRAGMENT, listTodosJson, listTodosVariables, todoName, updatedItem } from './data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const sizes = [];
let build = 'package';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--n') sizes.push(...args[++i].split(',').map(Number));
  else if (args[i] === '--build') build = args[++i];
  else {
    console.error(`unknown argument ${args[i]} (usage: cache.mjs [--n 1000,10000] [--build speed|all-z])`);
    process.exit(2);
  }
}
if (build !== 'package' && build !== 'speed' && build !== 'all-z') {
  console.error(`--build ${build}: the builds are package (the default), speed and all-z`);
  process.exit(2);
}
// The package's own build (wasm/pkg, wasm/dist) or a variant build's copy of it.
const root = build === 'package' ? join(here, '..') : join(here, 'build', build);
const dist = join(root, 'dist', 'index.js');
const wasmFile = join(root, 'pkg', 'appsync_wasm_bg.wasm');
if (!existsSync(dist) || !existsSync(wasmFile)) {
  console.error(build === 'package' ? 'build the web package first: bash scripts/build-web.sh' : `build it first: bash wasm/bench/build-speed.sh ${build}`);
  process.exit(2);
}
if (typeof global.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench:cache)');
  process.exit(2);
}
const IMPL = build === 'package' ? 'appsync-rs-wasm' : `appsync-rs-wasm-${build}`;
// The package's own tape walker (wasm-bindgen copies it under pkg/snippets/<crate-hash>/).
const snippets = join(root, 'pkg', 'snippets');
const tapeModule = readdirSync(snippets)
  .map((dir) => join(snippets, dir, 'js', 'tape.js'))
  .find((file) => existsSync(file));
if (tapeModule === undefined) {
  console.error('no js/tape.js under wasm/pkg/snippets: build the web package first (scripts/build-web.sh)');
  process.exit(2);
}
const { walkTape } = await import(pathToFileURL(tapeModule).href);
const { AppSyncClient, initAppSync } = await import(pathToFileURL(dist).href);
await initAppSync(readFileSync(wasmFile));

// A client that never reaches a network: the benchmark only uses its cache (in memory: Node has
// no IndexedDB, and the peers are in memory too).
const CONFIG = JSON.stringify({
  version: '1',
  data: {
    url: 'http://127.0.0.1:9/graphql',
    aws_region: 'us-east-1',
    default_authorization_type: 'API_KEY',
    api_key: 'da2-bench',
    authorization_types: [],
  },
});
const newClient = () => AppSyncClient.create(CONFIG, 'bench', {}, { disableOffline: true });

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
const round = (ms) => Math.round(ms * 1000) / 1000;
const runsFor = (n) => (n <= 1000 ? 11 : n <= 10000 ? 7 : 5);

function check(result, n, renamed) {
  const items = result?.listTodos?.items;
  if (!Array.isArray(items) || items.length !== n) throw new Error(`read ${items?.length} items, expected ${n}`);
  if (items[n - 1].name !== todoName(n - 1)) throw new Error(`last item is ${JSON.stringify(items[n - 1])}`);
  if (renamed && items[renamed.index].name !== renamed.name) throw new Error('the renamed item was not read back');
}

/** The figures' one-item update: `writeFragment` of `item` (data.mjs's `updatedItem`) under `name`. */
const rename = (client, item, name) =>
  client.writeFragment({
    fragment: TODO_NAME_FRAGMENT,
    key: `${item.typename}:${item.id}`,
    data: { __typename: item.typename, name },
  });

/**
 * Untimed warm-up runs per n on min(n, 1000) items, as many as peers.mjs gives each peer, so the
 * engine has optimized the JS and tiered the wasm up before anything is timed (at 1,000 items
 * the two uncounted runs of `bench` alone leave part of it to the timed runs).
 */
const WARMUP_RUNS = 5;

async function warmUp(n) {
  const warm = Math.min(n, 1000);
  const text = listTodosJson(warm);
  const request = { query: QUERY, variables: listTodosVariables(warm) };
  const renamed = updatedItem(warm);
  for (let run = 0; run < WARMUP_RUNS; run++) {
    const client = await newClient();
    await client.writeQuery(request, JSON.parse(text).data);
    check(await client.readQuery(request), warm);
    await rename(client, renamed, renamed.name);
    check(await client.readQuery(request), warm, renamed);
    client.close();
  }
}

async function bench(n) {
  await warmUp(n);
  const text = listTodosJson(n);
  const request = { query: QUERY, variables: listTodosVariables(n) };
  const renamed = updatedItem(n);
  const figures = { write: [], read_after_write: [], update_one_then_read: [], parse: [], crossing: [], walk: [], json_parse: [] };
  const encoder = new TextEncoder();
  // The first two runs warm the JIT up and are not counted.
  for (let run = 0; run < runsFor(n) + 2; run++) {
    const client = await newClient();
    let start = performance.now();
    const parsed = JSON.parse(text);
    const parsedAt = performance.now();
    await client.writeQuery(request, parsed.data);
    const written = performance.now();
    const first = await client.readQuery(request);
    const read = performance.now();
    check(first, n);
    const update = performance.now();
    await rename(client, renamed, renamed.name);
    const again = await client.readQuery(request);
    const updated = performance.now();
    check(again, n, renamed);
    client.close();
    // The floors (see the top), on the same data.
    const crossingStart = performance.now();
    const bytes = encoder.encode(JSON.stringify(parsed.data));
    const crossed = performance.now();
    const tape = walkTape(parsed.data);
    let tapeBytes = 0;
    for (const chunk of tape.chunks) tapeBytes += encoder.encode(chunk.strings).length + chunk.ops.length;
    const walked = performance.now();
    const resultText = JSON.stringify(first);
    const parseStart = performance.now();
    const reparsed = JSON.parse(resultText);
    const reparsedAt = performance.now();
    if (bytes.length === 0 || tapeBytes === 0 || reparsed.listTodos.items.length !== n) throw new Error('the floors measured nothing');
    if (run >= 2) {
      figures.crossing.push(crossed - crossingStart);
      figures.walk.push(walked - crossed);
      figures.json_parse.push(reparsedAt - parseStart);
      figures.parse.push(parsedAt - start);
      figures.write.push(written - start);
      figures.read_after_write.push(read - written);
      figures.update_one_then_read.push(updated - update);
    }
  }
  figures.query_network = await queryNetwork(n, text, request);
  figures.watch_update_emit = await watchUpdate(n, text, request);
  const runs = figures.write.length;
  for (const bench of ['write', 'read_after_write', 'update_one_then_read', 'query_network', 'watch_update_emit']) {
    const line = { bench, impl: IMPL, n, median_ms: round(median(figures[bench])), runs };
    if (bench === 'write') {
      line.parse_median_ms = round(median(figures.parse));
      line.crossing_median_ms = round(median(figures.crossing));
      line.walk_median_ms = round(median(figures.walk));
    }
    if (bench === 'read_after_write') line.json_parse_median_ms = round(median(figures.json_parse));
    console.log(JSON.stringify(line));
  }
}

/** `client.query` from a `fetch` that answers with the response text at once (see the top). */
async function queryNetwork(n, text, request) {
  const realFetch = globalThis.fetch;
  globalThis.fetch = async () => new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
  const samples = [];
  try {
    for (let run = 0; run < runsFor(n) + 2; run++) {
      const client = await newClient();
      const start = performance.now();
      const response = await client.query({ ...request, fetchPolicy: 'network-only' });
      const done = performance.now();
      check(response.data, n);
      // Written to the cache from the text as well.
      check(await client.readQuery(request), n);
      client.close();
      if (run >= 2) samples.push(done - start);
    }
  } finally {
    globalThis.fetch = realFetch;
  }
  return samples;
}

/** From a one-item write to the watch's callback holding the changed list (see the top). */
async function watchUpdate(n, text, request) {
  const renamed = updatedItem(n);
  const samples = [];
  for (let run = 0; run < runsFor(n) + 2; run++) {
    const client = await newClient();
    await client.writeQuery(request, JSON.parse(text).data);
    let waiting = null;
    const results = [];
    const handle = client.watchQuery({ ...request, fetchPolicy: 'cache-only' }, (result) => {
      if (result.type !== 'result') return;
      results.push(result.data);
      if (waiting !== null && waiting.done(result.data)) waiting.resolve();
    });
    const until = (done) =>
      new Promise((resolve) => {
        if (results.some(done)) return resolve();
        waiting = { done, resolve };
      });
    await until((data) => data?.listTodos?.items?.length === n);
    const name = `${renamed.name} ${run}`;
    const start = performance.now();
    await rename(client, renamed, name);
    await until((data) => data?.listTodos?.items?.[renamed.index]?.name === name);
    const done = performance.now();
    check(results[results.length - 1], n, { index: renamed.index, name });
    handle.unsubscribe();
    client.close();
    if (run >= 2) samples.push(done - start);
  }
  return samples;
}

/** Linear memory plus JS heap held after writing n items (one fresh module instance). */
async function heap(n) {
  const text = listTodosJson(n);
  const request = { query: QUERY, variables: listTodosVariables(n) };
  const module = await import(`${pathToFileURL(join(root, 'pkg', 'appsync_wasm.js')).href}?heap=${n}`);
  const wasm = module.initSync({ module: readFileSync(wasmFile) });
  const client = new module.WasmClient(CONFIG, 'bench', {}, { disableOffline: true });
  global.gc();
  const memoryBefore = wasm.memory.buffer.byteLength;
  const jsBefore = process.memoryUsage().heapUsed;
  await client.writeQuery(request, JSON.parse(text).data);
  global.gc();
  const mib = (bytes) => Math.round((bytes / (1024 * 1024)) * 100) / 100;
  const linear = wasm.memory.buffer.byteLength - memoryBefore;
  const js = process.memoryUsage().heapUsed - jsBefore;
  const result = await client.readQuery(request);
  check(result, n);
  global.gc();
  const linearAfterRead = wasm.memory.buffer.byteLength - memoryBefore;
  const jsAfterRead = process.memoryUsage().heapUsed - jsBefore;
  // Linear memory only grows: its growth is the write's high-water mark (the JSON text and
  // parsed tree inside wasm included), an upper bound of what the cache holds.
  console.log(
    JSON.stringify({
      bench: 'heap',
      impl: IMPL,
      n,
      heap_mib: mib(linear + js),
      linear_memory_mib: mib(linear),
      js_heap_mib: mib(js),
      heap_after_read_mib: mib(linearAfterRead + jsAfterRead),
      linear_memory_after_read_mib: mib(linearAfterRead),
      ...(await rustHeap(n)),
      runs: 1,
    }),
  );
  if (result === null) throw new Error('unreachable: keeps the result alive until here');
  client.free();
}

/** The Rust heap's live bytes after the write and after the read, from the alloc-stats build. */
async function rustHeap(n) {
  if (build !== 'package') return {};
  const stats = join(here, 'build', 'stats');
  if (!existsSync(join(stats, 'appsync_wasm.js'))) return {};
  const module = await import(pathToFileURL(join(stats, 'appsync_wasm.js')).href);
  module.initSync({ module: readFileSync(join(stats, 'appsync_wasm_bg.wasm')) });
  const request = { query: QUERY, variables: listTodosVariables(n) };
  const client = new module.WasmClient(CONFIG, 'bench', {}, { disableOffline: true });
  const data = JSON.parse(listTodosJson(n)).data;
  const [before] = module.allocStats();
  await client.writeQuery(request, data);
  const [written, peak] = module.allocStats();
  const result = await client.readQuery(request);
  check(result, n);
  const [read] = module.allocStats();
  client.free();
  const mib = (bytes) => Math.round((bytes / (1024 * 1024)) * 100) / 100;
  return { rust_live_mib: mib(written - before), rust_peak_mib: mib(peak - before), rust_live_after_read_mib: mib(read - before) };
}

try {
  for (const n of sizes.length > 0 ? sizes : [1000, 10000, 100000]) await bench(n);
  await heap(10000);
} catch (error) {
  console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
