// Durable enqueue on IndexedDB, in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): the browser figure next to `cargo bench --bench outbox` (SQLite).
//
//   node outbox-browser.mjs [--n 1000]        (npm run bench:outbox; needs scripts/build-web.sh)
//
// A page loads the built package, creates a client whose endpoint is unreachable, reports the
// network offline (so nothing drains), and enqueues n mutations with optimistic responses, each
// awaited: `enqueue` resolves once the IndexedDB transaction has committed. Prints one JSON line
// per figure: latency p50 / p99 / max, and enqueues per second.

import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const packageDir = normalize(join(here, '..'));
if (!existsSync(join(packageDir, 'dist', 'index.js')) || !existsSync(join(packageDir, 'pkg', 'appsync_wasm_bg.wasm'))) {
  console.error('build the web package first: bash scripts/build-web.sh');
  process.exit(2);
}
const { chromium } = await import(join(packageDir, 'node_modules', 'playwright-core', 'index.mjs'));

const args = process.argv.slice(2);
const n = args[0] === '--n' ? Number(args[1]) : 1000;

const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { AppSyncClient } from '/dist/index.js';
const config = { version: '1', data: { url: 'http://127.0.0.1:9/graphql', aws_region: 'us-east-1',
  default_authorization_type: 'API_KEY', api_key: 'da2-bench', authorization_types: [] } };
const client = await AppSyncClient.create(config, 'bench', {}, { keyPrefix: 'bench-' + Date.now() });
await client.hydrated();
client.setNetworkOnline(false);
const create = 'mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name priority } }';
const latencies = [];
const started = performance.now();
for (let i = 0; i < ${n}; i++) {
  const id = 'bench-' + i;
  const t = performance.now();
  await client.enqueue({ query: create, variables: { input: { id, name: 'Todo ' + i, priority: i % 5 } },
    optimisticResponse: { createTodo: { __typename: 'Todo', id, name: 'Todo ' + i, priority: i % 5 } } });
  latencies.push(performance.now() - t);
}
const total = performance.now() - started;
const queued = (await client.outboxEntries()).length;
window.__result = { latencies, total, queued };
</script>`;

const server = createServer((request, response) => {
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  if (path === '/') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
    return;
  }
  const file = normalize(join(packageDir, path));
  if (!file.startsWith(packageDir + sep) || !existsSync(file) || !(path.startsWith('/dist/') || path.startsWith('/pkg/'))) {
    response.writeHead(404);
    response.end();
    return;
  }
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm' };
  response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  response.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

const userDataDir = mkdtempSync(join(tmpdir(), 'appsync-bench-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
let status = 0;
try {
  const tab = context.pages()[0] ?? (await context.newPage());
  await tab.goto(base);
  await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 300_000, polling: 100 });
  const { latencies, total, queued } = await tab.evaluate(() => window.__result);
  if (queued !== n) throw new Error(`${queued} queued, expected ${n}`);
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.round((latencies.length - 1) * q)];
  const round = (v) => Math.round(v * 1000) / 1000;
  console.log(JSON.stringify({ bench: 'enqueue_latency', store: 'indexeddb', n, p50_ms: round(at(0.5)), p99_ms: round(at(0.99)), max_ms: round(at(1)) }));
  console.log(JSON.stringify({ bench: 'enqueue_throughput', store: 'indexeddb', n, per_second: Math.round(n / (total / 1000)) }));
} catch (error) {
  console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  status = 1;
} finally {
  await context.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(status);
