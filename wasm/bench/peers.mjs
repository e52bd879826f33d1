// Cache benchmark of the peers of the appsync-rs cache, on the data of data.mjs.
//
//   node --expose-gc peers.mjs [--n 10000] [--peer apollo] [--runs 5]
//   (npm run bench:peers -- --n 10000 --peer urql)
//
// --n and --peer may be repeated or given comma-separated lists; --peer
// matches a peer key or its prefix (`aws-appsync` selects both aws-appsync
// variants). Peer keys: apollo, urql, aws-appsync, aws-appsync-disableoffline.
//
// Prints one JSON line per figure on stdout (progress goes to stderr):
//   {"bench":"write","impl":"apollo-inmemorycache-4.3.8","n":10000,"median_ms":…,"min_ms":…,"max_ms":…,"runs":7,"parse_median_ms":…}
//   {"bench":"heap","impl":…,"n":…,"heap_mib":…,"heap_after_read_mib":…,"runs":…}
//
// Figures, for each peer and each n (every run starts from a fresh cache):
//   write                 JSON.parse of the response text + the peer's write of
//                         the result into its cache (its path from the network);
//                         `parse_median_ms` is the JSON.parse part alone.
//   read_after_write      the first read of the whole query after that write,
//                         returning a plain JS object the app can use.
//   update_one_then_read  after write + first read (untimed): write one item's
//                         new name (a fragment write of Todo:todo-<n/2>), then
//                         read the whole list again.
//   heap                  (separate, untimed runs; see "Benchmark" below)
//                         retained JS heap growth (after global.gc()) caused by
//                         the write (`heap_mib`: the cache holding the data), and
//                         after the first read (`heap_after_read_mib`: the cache
//                         plus the result the app holds; Apollo and
//                         apollo-cache-inmemory also keep results in their
//                         result caches, urql's exchange keeps the last result
//                         of each query). The response text, the documents and
//                         the empty cache are allocated before the baseline and
//                         not counted; the parsed response is garbage by then.
// Each read is validated (item count, last item's name, the renamed item;
// on the first run of every n the whole result is compared with the
// response). Any mismatch exits with a non-zero status.
//
// All peers run in production mode (NODE_ENV=production, Apollo's __DEV__
// false), as shipped apps do: development builds add checks and freezing.

process.env.NODE_ENV = 'production';

import { readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

import {
  QUERY,
  TODO_NAME_FRAGMENT,
  listTodosJson,
  listTodosVariables,
  todoName,
  updatedItem,
} from './data.mjs';

const require = createRequire(import.meta.url);
const version = (pkg) => require(`${pkg}/package.json`).version;

if (typeof global.gc !== 'function') {
  console.error('peers.mjs needs `node --expose-gc` (use `npm run bench:peers`).');
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Command line

function parseArgs(argv) {
  const opts = { ns: [], peers: [], runs: null };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--n') opts.ns.push(...value().split(',').map(Number));
    else if (flag === '--peer') opts.peers.push(...value().split(','));
    else if (flag === '--runs') opts.runs = Number(value());
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (opts.ns.length === 0) opts.ns = [1000, 10000, 100000];
  if (opts.ns.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--n must be integers >= 2');
  return opts;
}

// ---------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fullGc() {
  // Several passes so that weak references and finalizers settle.
  for (let i = 0; i < 3; i++) global.gc();
}

function heapUsed() {
  fullGc();
  return process.memoryUsage().heapUsed;
}

function time(fn) {
  const start = performance.now();
  const result = fn();
  return { ms: performance.now() - start, result };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round = (x, digits) => Number(x.toFixed(digits));

/**
 * Deep equality of two JSON-like values, ignoring object key order and
 * `__typename` fields: the query text does not select `__typename`; Apollo and
 * apollo-cache-inmemory add it to the document and return it, graphcache adds
 * it for its own use and leaves it out of results. (The peers' normalization
 * by `__typename:id` is checked by the update test instead.)
 */
function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const keys = Object.keys(a).filter((k) => k !== '__typename');
  if (keys.length !== Object.keys(b).filter((k) => k !== '__typename').length) return false;
  for (const k of keys) if (!Object.prototype.hasOwnProperty.call(b, k) || !sameJson(a[k], b[k])) return false;
  return true;
}

class ValidationError extends Error {}

function check(cond, what) {
  if (!cond) throw new ValidationError(what);
}

/** Checks what a peer read back: n items, the right last item, and optionally the renamed item. */
function validateRead(impl, n, data, { renamed = null, expected = null } = {}) {
  const items = data?.listTodos?.items;
  check(Array.isArray(items), `${impl} n=${n}: read returned no items array`);
  check(items.length === n, `${impl} n=${n}: read returned ${items.length} items`);
  const last = items[n - 1];
  check(last.id === `todo-${n - 1}` && last.name === todoName(n - 1), `${impl} n=${n}: wrong last item ${JSON.stringify(last)}`);
  check(last.owner?.id === `user-${(n - 1) % 100}`, `${impl} n=${n}: wrong owner of the last item`);
  check(data.listTodos.nextToken === null, `${impl} n=${n}: wrong nextToken`);
  if (renamed) {
    const item = items[renamed.index];
    check(item.id === renamed.id && item.name === renamed.name, `${impl} n=${n}: update not visible: ${JSON.stringify(item)}`);
  }
  if (expected) check(sameJson(data, expected), `${impl} n=${n}: read differs from the response data`);
}

// ---------------------------------------------------------------------------
// Peers
//
// Each peer provides:
//   create()                  -> Promise<state>: a fresh, empty, ready cache
//   write(state, data, vars)  write the response's `data` (the harness parses
//                             the text and times JSON.parse + write together)
//   read(state, vars, prev)   read the whole query; `prev` is the previous
//                             result of that query when the app holds one
//                             (only urql uses it, as its exchange does when
//                             it re-runs a query after a change)
//   updateOne(state, n)       write the new name of updatedItem(n)
//   settle(state)             -> Promise: let the peer's deferred work finish
//                             (graphcache's scheduled GC, aws-appsync's
//                             persistence) so that it does not spill into
//                             the next timed section

async function makeApollo() {
  const { InMemoryCache } = await import('@apollo/client/cache');
  const { gql } = await import('@apollo/client');
  const query = gql(QUERY);
  const fragment = gql(TODO_NAME_FRAGMENT);
  return {
    key: 'apollo',
    impl: `apollo-inmemorycache-${version('@apollo/client')}`,
    // Default configuration: objects are normalized by `${__typename}:${id}`,
    // result caching on.
    async create() {
      return { cache: new InMemoryCache() };
    },
    write({ cache }, data, variables) {
      cache.writeQuery({ query, variables, data });
    },
    read({ cache }, variables) {
      return cache.readQuery({ query, variables });
    },
    updateOne({ cache }, n) {
      const u = updatedItem(n);
      cache.writeFragment({
        id: `${u.typename}:${u.id}`,
        fragment,
        data: { __typename: u.typename, name: u.name },
      });
    },
    settle: () => sleep(10),
  };
}

/**
 * urql's graphcache keeps its normalized data in module-level state that is
 * only valid between its internal `initDataState(…)` and `clearDataState()`
 * calls, and its public `Store` methods (readQuery, writeFragment, …) may only
 * be called inside such a section (the exchange opens one around every
 * operation). Those functions and the `_write`/`_query` operations the
 * exchange uses are not exported, so we load graphcache's own ESM bundle with
 * one extra line exporting them (the code is otherwise byte-identical; bare
 * imports are pointed at the very same files that normal resolution gives) and
 * make exactly the calls the `cacheExchange` makes:
 *   network result:  initDataState('write', store.data, key, false, false); _write(store, op, data); clearDataState()
 *   cache read:      initDataState('read', store.data, undefined, false, false); _query(store, op, previousData); clearDataState()
 * `read_after_write` is the cache read of a query with no previous result
 * (the readQuery equivalent); `update_one_then_read` passes the previous
 * result, as the exchange does when it re-runs a query after a change.
 * At start-up the benchmark cross-checks these calls against a real urql
 * `Client` with the public `cacheExchange` (see crossCheckUrql).
 */
async function loadGraphcacheInternals() {
  const entryUrl = import.meta.resolve('@urql/exchange-graphcache');
  const entry = fileURLToPath(entryUrl);
  // The bundle's imports must resolve as from graphcache's own directory;
  // with no nested node_modules they resolve as from here.
  const pkgDir = dirname(dirname(entry));
  if (existsSync(join(pkgDir, 'node_modules'))) throw new Error(`${pkgDir} has nested node_modules`);
  let src = readFileSync(entry, 'utf8');
  const internals = ['initDataState', 'clearDataState', '_write', '_query'];
  for (const name of internals) {
    if (!src.includes(`\nvar ${name} = `)) throw new Error(`graphcache bundle has no ${name}; update peers.mjs`);
  }
  src = src.replace(/ from "([^".][^"]*)";/g, (_, spec) => ` from ${JSON.stringify(import.meta.resolve(spec))};`);
  src += `\nexport { ${internals.join(', ')} };\n`;
  const file = join(tmpdir(), `appsync-bench-graphcache-${process.pid}.mjs`);
  writeFileSync(file, src);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}

async function makeUrql() {
  const { gql, createRequest } = await import('@urql/core');
  const gc = await loadGraphcacheInternals();
  const query = gql(QUERY);
  const fragment = gql(TODO_NAME_FRAGMENT);
  const requests = new Map(); // variables.limit -> GraphQLRequest (has .key, .query, .variables)
  const request = (variables) => {
    let r = requests.get(variables.limit);
    if (!r) requests.set(variables.limit, (r = createRequest(query, variables)));
    return r;
  };
  return {
    key: 'urql',
    impl: `urql-graphcache-${version('@urql/exchange-graphcache')}`,
    // Default configuration (no schema): entities keyed by `${__typename}:${id}`.
    async create() {
      return { store: new gc.Store({}) };
    },
    write({ store }, data, variables) {
      const op = request(variables);
      gc.initDataState('write', store.data, op.key, false, false);
      try {
        gc._write(store, op, data, undefined);
      } finally {
        gc.clearDataState();
      }
    },
    read({ store }, variables, prev) {
      gc.initDataState('read', store.data, undefined, false, false);
      try {
        const result = gc._query(store, request(variables), prev, undefined);
        return result.partial ? null : result.data;
      } finally {
        gc.clearDataState();
      }
    },
    updateOne({ store }, n) {
      const u = updatedItem(n);
      gc.initDataState('write', store.data, null, false, false);
      try {
        store.writeFragment(fragment, { __typename: u.typename, id: u.id, name: u.name });
      } finally {
        gc.clearDataState();
      }
    },
    // clearDataState() schedules graphcache's GC pass with setTimeout(0).
    settle: () => sleep(10),
  };
}

/** Runs the query once through a real urql Client + public cacheExchange and compares with our internal read. */
async function crossCheckUrql(urql, text, n) {
  const { Client, fetchExchange, gql } = await import('@urql/core');
  const { cacheExchange } = await import('@urql/exchange-graphcache');
  const client = new Client({
    url: 'http://bench.invalid/graphql',
    exchanges: [cacheExchange({}), fetchExchange],
    fetch: async () => new Response(text, { headers: { 'content-type': 'application/json' } }),
  });
  const viaClient = await client.query(gql(QUERY), listTodosVariables(n)).toPromise();
  if (viaClient.error) throw viaClient.error;
  const state = await urql.create();
  urql.write(state, JSON.parse(text).data, listTodosVariables(n));
  const viaInternals = urql.read(state, listTodosVariables(n));
  check(sameJson(viaClient.data, viaInternals), 'urql: internal write/read differs from the urql Client path');
  await urql.settle(state);
}

async function makeAwsAppSync({ disableOffline }) {
  // aws-appsync-peer runs aws-appsync against its own graphql 14.7.0.
  const peer = require('aws-appsync-peer');
  const query = peer.parse(QUERY);
  const fragment = peer.parse(TODO_NAME_FRAGMENT);
  const v = peer.versions;
  return {
    key: disableOffline ? 'aws-appsync-disableoffline' : 'aws-appsync',
    // Default (offline) client: aws-appsync's OfflineCache (apollo-cache-inmemory
    // InMemoryCache + redux store). disableOffline: plain apollo-cache-inmemory.
    impl: disableOffline
      ? `aws-appsync-${v['aws-appsync']}-disableoffline`
      : `aws-appsync-${v['aws-appsync']}`,
    async create() {
      return peer.createCache({ disableOffline });
    },
    write({ cache }, data, variables) {
      cache.writeQuery({ query, variables, data });
    },
    read({ cache }, variables) {
      return cache.readQuery({ query, variables });
    },
    updateOne({ cache }, n) {
      const u = updatedItem(n);
      cache.writeFragment({
        id: `${u.typename}:${u.id}`,
        fragment,
        data: { __typename: u.typename, name: u.name },
      });
    },
    // The offline cache's redux-persist serializes the store on timers after
    // each write; wait until it has stopped writing.
    async settle({ storage }) {
      let seen;
      do {
        seen = storage.writes;
        await sleep(20);
      } while (storage.writes !== seen);
    },
  };
}

const PEERS = {
  apollo: makeApollo,
  urql: makeUrql,
  'aws-appsync': () => makeAwsAppSync({ disableOffline: false }),
  'aws-appsync-disableoffline': () => makeAwsAppSync({ disableOffline: true }),
};

// ---------------------------------------------------------------------------
// Benchmark
//
// Timing and heap are measured in separate runs. The timed runs force no GC:
// a forced full GC makes V8 shrink its young generation, so allocation-heavy
// code timed right after one runs up to ~2x slower than in a running app
// (measured with Apollo at n=1000: ~30-50 ms vs ~60-140 ms). Each peer's runs
// are done back to back, so the garbage its previous run left is collected
// during its own runs, not during another peer's.

/** Timed runs per n (medians are taken over these); --runs overrides. */
function runsFor(n) {
  if (n <= 1000) return 11;
  if (n <= 10000) return 7;
  return 5;
}

/** Heap runs per n (the figure varies little from run to run). */
const HEAP_RUNS = 3;

/** Untimed warm-up runs per peer and n (on min(n, 1000) items) so the JIT has optimized the peer's code. */
const WARMUP_RUNS = 5;

/** The network path: the response text is parsed, then written. Returns the parse time. */
function parseAndWrite(peer, state, text, variables) {
  const start = performance.now();
  const { data } = JSON.parse(text);
  const parseMs = performance.now() - start;
  peer.write(state, data, variables);
  return parseMs;
}

/** One timed run on a fresh cache: write, first read, update + read. */
async function timedRun(peer, n, text, { validateFully }) {
  const variables = listTodosVariables(n);
  const state = await peer.create();
  await peer.settle(state);

  const write = time(() => parseAndWrite(peer, state, text, variables));
  await peer.settle(state);

  const read = time(() => peer.read(state, variables));
  validateRead(peer.impl, n, read.result, {
    expected: validateFully ? JSON.parse(text).data : null,
  });
  await peer.settle(state);

  // The app keeps the first result (e.g. on screen) while the item changes.
  const prev = read.result;
  const update = time(() => {
    peer.updateOne(state, n);
    return peer.read(state, variables, prev);
  });
  validateRead(peer.impl, n, update.result, { renamed: updatedItem(n) });
  await peer.settle(state);

  return {
    write: write.ms,
    parse: write.result,
    read_after_write: read.ms,
    update_one_then_read: update.ms,
  };
}

/** One heap run on a fresh cache (untimed; full GCs around each step). */
async function heapRun(peer, n, text) {
  const variables = listTodosVariables(n);
  const state = await peer.create();
  await peer.settle(state);

  const heap0 = heapUsed();
  parseAndWrite(peer, state, text, variables);
  await peer.settle(state);
  const heap1 = heapUsed();

  const result = peer.read(state, variables); // held, as the app holds it
  validateRead(peer.impl, n, result);
  await peer.settle(state);
  const heap2 = heapUsed();

  return {
    heap_mib: (heap1 - heap0) / 2 ** 20,
    heap_after_read_mib: (heap2 - heap0) / 2 ** 20,
    result, // keeps the result alive until heap2 is taken
  };
}

function emit(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

/** One peer at one n: warm-up, timed runs, heap runs; prints the figures. */
async function benchPeer(peer, n, text, runs) {
  const warm = Math.min(n, 1000);
  const warmText = warm === n ? text : listTodosJson(warm);
  for (let i = 0; i < WARMUP_RUNS; i++) await timedRun(peer, warm, warmText, { validateFully: i === 0 });

  const samples = [];
  for (let r = 0; r < runs; r++) {
    samples.push(await timedRun(peer, n, text, { validateFully: r === 0 }));
    const shown = Object.entries(samples.at(-1)).map(([k, v]) => `${k}=${v.toFixed(2)}`).join(' ');
    process.stderr.write(`  n=${n} ${peer.key} run ${r + 1}/${runs}: ${shown}\n`);
  }
  for (const bench of ['write', 'read_after_write', 'update_one_then_read']) {
    const values = samples.map((s) => s[bench]);
    emit({
      bench,
      impl: peer.impl,
      n,
      median_ms: round(median(values), 3),
      min_ms: round(Math.min(...values), 3),
      max_ms: round(Math.max(...values), 3),
      runs,
      // The JSON.parse part of `write` (the same work for every peer).
      ...(bench === 'write' ? { parse_median_ms: round(median(samples.map((s) => s.parse)), 3) } : {}),
    });
  }

  const heaps = [];
  for (let r = 0; r < HEAP_RUNS; r++) {
    const { heap_mib, heap_after_read_mib } = await heapRun(peer, n, text);
    heaps.push({ heap_mib, heap_after_read_mib });
    process.stderr.write(`  n=${n} ${peer.key} heap run ${r + 1}/${HEAP_RUNS}: ${heap_mib.toFixed(2)} MiB, ${heap_after_read_mib.toFixed(2)} MiB after read\n`);
  }
  emit({
    bench: 'heap',
    impl: peer.impl,
    n,
    heap_mib: round(median(heaps.map((h) => h.heap_mib)), 2),
    heap_after_read_mib: round(median(heaps.map((h) => h.heap_after_read_mib)), 2),
    runs: HEAP_RUNS,
  });
}

/** All peers at one n, on the same response text. */
async function benchN(peers, n, runs) {
  const text = listTodosJson(n);
  process.stderr.write(`n=${n}: ${text.length} bytes of JSON, ${runs} timed runs, ${HEAP_RUNS} heap runs\n`);
  for (const peer of peers) {
    const start = performance.now();
    await benchPeer(peer, n, text, runs);
    process.stderr.write(`  n=${n} ${peer.key} done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const keys = Object.keys(PEERS).filter(
    (key) => opts.peers.length === 0 || opts.peers.some((p) => key === p || key.startsWith(p)),
  );
  if (keys.length === 0) throw new Error(`no peer matches ${opts.peers.join(',')}; peers: ${Object.keys(PEERS).join(', ')}`);

  const peers = [];
  for (const key of keys) peers.push(await PEERS[key]());
  process.stderr.write(
    `node ${process.version}; peers: ${peers.map((p) => p.impl).join(', ')}; ` +
      `graphql ${version('graphql')} (apollo), ${require('aws-appsync-peer').versions.graphql} (aws-appsync)\n`,
  );

  const urql = peers.find((p) => p.key === 'urql');
  if (urql) await crossCheckUrql(urql, listTodosJson(1000), 1000);

  for (const n of opts.ns) await benchN(peers, n, opts.runs ?? runsFor(n));
}

main().then(
  // aws-appsync's client leaves timers behind; exit explicitly.
  () => process.exit(0),
  (err) => {
    console.error(err instanceof ValidationError ? `VALIDATION FAILED: ${err.message}` : err);
    process.exit(1);
  },
);
