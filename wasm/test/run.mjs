// The browser suite's runner: serves the built package, the test pages and the shared fixtures on
// 127.0.0.1, points the page at appsync-mock (APPSYNC_MOCK_URL, or a mock it starts itself), runs
// the scenarios in Debian's headless Chromium through playwright-core (page.html: the published
// package; store.html: the store checks on IndexedDB, from the test-only build; lite.html: the
// online scenarios again on the package's lite entry), and prints one
// line per scenario and then `web: N passed, N failed`. Exit status 1 when anything failed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const packageDir = resolve(import.meta.dirname, '..');
const repo = resolve(packageDir, '..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const suiteTimeoutMs = 300_000;

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const cleanups = [];
const results = [];
const browserLog = [];
async function cleanUp() {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch {
      // Best effort: the rest still has to go.
    }
  }
}

/** Starts `appsync mock --port 0` (building it when missing) and resolves to its GraphQL URL. */
async function startMock() {
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(repo, 'target');
  const bin = process.env.APPSYNC_BIN ?? join(targetDir, 'debug', 'appsync');
  if (!existsSync(bin)) {
    console.log('building the appsync CLI for the mock (cargo build -p appsync-cli)');
    const built = spawnSync('cargo', ['build', '-p', 'appsync-cli'], { cwd: repo, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('cargo build -p appsync-cli failed');
  }
  const outDir = mkdtempSync(join(tmpdir(), 'appsync-web-mock-'));
  const mock = spawn(bin, ['mock', '--port', '0', '--out-dir', outDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => rmSync(outDir, { recursive: true, force: true }));
  cleanups.push(
    () =>
      new Promise((done) => {
        if (mock.exitCode !== null) return done();
        mock.once('exit', () => done());
        mock.kill();
      }),
  );
  const lines = createInterface({ input: mock.stdout });
  return new Promise((resolveUrl, reject) => {
    mock.once('exit', (code) => reject(new Error(`appsync mock exited (${code}) before printing its URL`)));
    lines.on('line', (line) => {
      const match = /^\s*GraphQL:\s*(\S+)/.exec(line);
      if (match) resolveUrl(match[1]);
    });
  });
}

/** Serves the package directory (dist/, pkg/, test/), the page, the fixtures and the settings. */
function serve(mockUrl) {
  const routes = {
    '/': join(packageDir, 'test', 'page.html'),
    '/store.html': join(packageDir, 'test', 'store.html'),
    '/lite.html': join(packageDir, 'test', 'lite.html'),
    '/fixtures/scenarios.json': join(repo, 'tests', 'fixtures', 'scenarios.json'),
  };
  const served = ['/dist/', '/pkg/', '/pkg-lite/', '/test/build/'];
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    if (path === '/favicon.ico') {
      response.writeHead(204);
      response.end();
      return;
    }
    if (path === '/__settings') {
      response.writeHead(200, { 'content-type': types['.json'], 'cache-control': 'no-store' });
      response.end(JSON.stringify({ mockUrl }));
      return;
    }
    let file = routes[path];
    if (file === undefined && served.some((prefix) => path.startsWith(prefix))) {
      const candidate = normalize(join(packageDir, path));
      if (candidate.startsWith(packageDir + sep)) file = candidate;
    }
    if (file === undefined || !existsSync(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    response.end(readFileSync(file));
  });
  return new Promise((resolveBase) => {
    server.listen(0, '127.0.0.1', () => {
      cleanups.push(() => new Promise((done) => server.close(() => done())));
      const { port } = server.address();
      resolveBase(`http://127.0.0.1:${port}`);
    });
  });
}

async function run() {
  const mockUrl = process.env.APPSYNC_MOCK_URL ?? (await startMock());
  const base = await serve(mockUrl);
  console.log(`mock: ${mockUrl}; page: ${base}/`);

  const userDataDir = mkdtempSync(join(tmpdir(), 'appsync-web-chromium-'));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  // The user data dir is passed by Playwright as --user-data-dir (fresh for every run).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  cleanups.push(() => context.close());

  const page = context.pages()[0] ?? (await context.newPage());
  // The error scenarios make the browser log failed loads; the log is shown only on failure.
  page.on('pageerror', (error) => browserLog.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') browserLog.push(`console.${message.type()}: ${message.text()}`);
  });
  await page.exposeFunction('__report', report);
  const finished = () => page.waitForFunction(() => window.__done !== undefined, null, { timeout: suiteTimeoutMs, polling: 200 });
  await page.goto(`${base}/`);
  await finished();
  // Reload the page (a fresh JS context over the same IndexedDB) and read what it stored.
  const prefix = await page.evaluate(() => window.__done?.reloadWith);
  if (typeof prefix === 'string') {
    await page.evaluate((p) => history.replaceState(null, '', `/?phase=reload&prefix=${encodeURIComponent(p)}`), prefix);
    await page.reload();
    await finished();
  }
  await twoTabs(context, base, mockUrl);
  await page.goto(`${base}/store.html`);
  await finished();
  // A fresh tab, so the page's resource list is the lite entry's alone.
  const lite = await context.newPage();
  lite.on('pageerror', (error) => browserLog.push(`lite: page error: ${error.message}`));
  lite.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') browserLog.push(`lite: console.${message.type()}: ${message.text()}`);
  });
  await lite.exposeFunction('__report', report);
  await lite.goto(`${base}/lite.html`);
  await lite.waitForFunction(() => window.__done !== undefined, null, { timeout: suiteTimeoutMs, polling: 200 });
}

function report(result) {
  results.push(result);
  const status = result.ok ? 'ok  ' : 'FAIL';
  console.log(`${status} ${results.length} ${result.name} (${result.ms} ms)${result.ok ? '' : `\n     ${result.detail}`}`);
}

/**
 * Two tabs on one IndexedDB outbox (scenarios.ts, `?phase=tab`): each queues a create and an
 * update offline, tab a first; then both go online at once, with 40 ms of latency on the mock so
 * their drains would overlap without the lease. Every mutation must be sent exactly once (the
 * Sending events of both tabs together), each tab's sends must follow the store's order, each
 * tab must learn its own outcomes (those the other tab sent for it too), and the server must hold
 * both items at _version 2.
 */
async function twoTabs(context, base, mockUrl) {
  const name = 'two tabs on one IndexedDB outbox: one drains at a time, each mutation sent once, in order, outcomes in both tabs';
  const started = Date.now();
  const prefix = `web-tabs-${Math.random().toString(36).slice(2, 10)}-`;
  const faults = (method, body) =>
    fetch(`${mockUrl.replace(/\/graphql$/, '')}/__mock/faults`, { method, headers: { 'content-type': 'application/json' }, body });
  const pages = [];
  const problems = [];
  try {
    for (const tab of ['a', 'b']) {
      const tabPage = await context.newPage();
      pages.push(tabPage);
      tabPage.on('pageerror', (error) => browserLog.push(`tab ${tab}: page error: ${error.message}`));
      await tabPage.goto(`${base}/?phase=tab&tab=${tab}&prefix=${encodeURIComponent(prefix)}`);
      await tabPage.waitForFunction(() => window.__tab !== undefined || window.__done !== undefined, null, { timeout: 30_000 });
    }
    const queued = [];
    for (const tabPage of pages) queued.push(...(await tabPage.evaluate(() => window.__tab.enqueue())));
    await faults('POST', JSON.stringify({ latencyMs: 40 }));
    const reports = await Promise.all(pages.map((tabPage) => tabPage.evaluate(() => window.__tab.online())));
    reports.forEach((r, i) => {
      const tab = 'ab'[i];
      if (r.outcomes.some((o) => o !== 'succeeded')) problems.push(`tab ${tab}'s outcomes: ${JSON.stringify(r.outcomes)}`);
      if (r.version !== 2) problems.push(`tab ${tab}'s item is at _version ${JSON.stringify(r.version)} on the server, expected 2`);
      const order = r.sent.map((id) => queued.indexOf(id));
      if (order.some((v, j) => v < 0 || (j > 0 && v <= order[j - 1]))) problems.push(`tab ${tab} sent out of the store's order: ${JSON.stringify(r.sent)}`);
    });
    const sent = reports.flatMap((r) => r.sent);
    if (sent.length !== queued.length || new Set(sent).size !== queued.length) {
      problems.push(`each of ${queued.length} mutations sent once, but the tabs sent ${JSON.stringify(reports.map((r) => r.sent))}`);
    }
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    await faults('DELETE').catch(() => undefined);
    for (const tabPage of pages) await tabPage.close().catch(() => undefined);
  }
  report({ name, ok: problems.length === 0, detail: problems.join('; '), ms: Date.now() - started });
}

// A suite that breaks off (no browser, a crashed page, a timeout) counts as one more failure,
// after the scenarios that did report.
let broken = 0;
try {
  await run();
  if (results.length === 0) {
    console.log('FAIL no scenario reported');
    broken = 1;
  }
} catch (error) {
  console.log(`FAIL the browser suite broke off: ${error instanceof Error ? error.message : String(error)}`);
  broken = 1;
} finally {
  await cleanUp();
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed + broken;
if (failed > 0 && browserLog.length > 0) {
  console.log('browser log:');
  for (const line of browserLog) console.log(`  ${line}`);
}
console.log(`web: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
