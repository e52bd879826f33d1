// The store suite: every check of the core's store conformance suite, and the IndexedDB
// specifics, on IndexedDbStore in a real page, over the package's own IndexedDB side
// (dist/store.js). It loads the test-only `conformance` build of the wasm module
// (scripts/test-web.sh builds it into test/build/conformance/), never the published one. One
// scenario per check; results go to the Node runner (run.mjs) through window.__report, and the
// summary through window.__done.
import initConformance, {
  runStoreConformanceCheck,
  storeConformanceChecks,
  type StoreHelpers,
} from 'appsync-wasm-conformance';
import { openStore } from 'appsync-store';

interface Result {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

declare global {
  interface Window {
    __report?: (result: Result) => Promise<void>;
    __done?: { passed: number; failed: number };
  }
}

const checkTimeoutMs = 30_000;

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Raw IndexedDB, beside the package's: what a database looks like, and one made by nobody else.
const helpers: StoreHelpers = {
  async layout(name) {
    const db = await done(indexedDB.open(name));
    try {
      const lines = [`version ${db.version}`];
      const names = [...db.objectStoreNames].sort();
      if (names.length === 0) return lines;
      const tx = db.transaction(names);
      for (const storeName of names) {
        const store = tx.objectStore(storeName);
        lines.push(`${storeName}: key ${JSON.stringify(store.keyPath)}, generated ${store.autoIncrement}`);
        for (const indexName of [...store.indexNames].sort()) {
          const index = store.index(indexName);
          lines.push(
            `${storeName}.${indexName}: key ${JSON.stringify(index.keyPath)}, unique ${index.unique}, multi-entry ${index.multiEntry}`,
          );
        }
      }
      return lines;
    } finally {
      db.close();
    }
  },
  async create(name, version) {
    (await done(indexedDB.open(name, version))).close();
  },
};

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
  ]);
}

async function main(): Promise<void> {
  await initConformance();
  let passed = 0;
  let failed = 0;
  for (const check of storeConformanceChecks()) {
    const started = performance.now();
    let ok = true;
    let detail = '';
    try {
      await withTimeout(runStoreConformanceCheck(check, openStore, helpers), checkTimeoutMs, check);
    } catch (error) {
      ok = false;
      detail = error instanceof Error ? error.message : String(error);
    }
    if (ok) passed += 1;
    else failed += 1;
    await window.__report?.({ name: `IndexedDbStore: ${check}`, ok, detail, ms: Math.round(performance.now() - started) });
  }
  window.__done = { passed, failed };
}

main().catch(async (error: unknown) => {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await window.__report?.({ name: 'the store suite could not start', ok: false, detail, ms: 0 });
  window.__done = { passed: 0, failed: 1 };
});
