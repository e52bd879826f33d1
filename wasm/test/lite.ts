// The browser suite of the lite entry (`@appsync-rs/client/lite`, lite.html): the online client's
// scenarios (online.ts, the same as the full entry's page runs) over the lite module, then what
// is the lite entry's own: fetch policies over no cache, no cache or outbox methods, close(), and
// that the page loaded the lite module and nothing of the full one.
import * as lite from '@appsync-rs/client/lite';
import { AppSyncClient, GraphQLResponseError, type FetchPolicy, type SubscriptionEvent } from '@appsync-rs/client/lite';
import {
  EventLog,
  check,
  checkError,
  checkSame,
  environment,
  onlineScenarios,
  rejection,
  runScenarios,
  scenarioList,
  settings,
  withTimeout,
} from './online.js';

async function main(): Promise<void> {
  const { base } = await settings();
  const prefix = `web-lite-${Math.random().toString(36).slice(2, 10)}-`;
  const env = await environment(base, prefix);
  const { fixture, configText, providers } = env;
  const { scenarios, scenario } = scenarioList('lite: ');
  const theClient = onlineScenarios(env, lite, scenario);

  scenario("every fetch policy but cache-only asks the network; cache-only misses with a CacheMiss error", async () => {
    const c = theClient();
    const { get } = fixture;
    const policies: FetchPolicy[] = ['cache-first', 'cache-and-network', 'network-only', 'no-cache'];
    for (const fetchPolicy of policies) {
      const response = await c.query({ query: get.document, variables: get.variables, fetchPolicy });
      checkSame(response.data, get.expect, `getTodo under ${fetchPolicy}`);
    }
    // Nothing was kept: cache-only after all those fetches still misses.
    const missed = await rejection(c.query({ query: get.document, variables: get.variables, fetchPolicy: 'cache-only' }));
    checkError(missed, GraphQLResponseError, 'GRAPHQL');
    check(missed instanceof GraphQLResponseError && missed.errors[0]?.errorType === 'CacheMiss', `errors: ${JSON.stringify(missed)}`);
    const all = await c.query({ query: get.document, variables: get.variables, fetchPolicy: 'cache-only', errorPolicy: 'all' });
    check(all.data === null && all.errors[0]?.errorType === 'CacheMiss', `errorPolicy all: ${JSON.stringify(all)}`);
  });

  scenario('the client has no cache or outbox methods, and the page loaded the lite module only', async () => {
    const c = theClient() as unknown as Record<string, unknown>;
    for (const method of ['query', 'mutate', 'subscribe', 'reconnectRealtime', 'close']) {
      check(typeof c[method] === 'function', `${method} is missing`);
    }
    for (const method of ['readQuery', 'writeQuery', 'watchQuery', 'enqueue', 'outboxEvents', 'hydrated', 'evict']) {
      check(!(method in c), `${method} is there`);
    }
    const loaded = performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname);
    check(loaded.includes('/pkg-lite/appsync_wasm_bg.wasm'), `the lite module was not loaded: ${JSON.stringify(loaded)}`);
    const full = loaded.filter((path) => path.startsWith('/pkg/') || ['/dist/index.js', '/dist/client.js', '/dist/store.js'].includes(path));
    checkSame(full, [], 'files of the full entry the page loaded');
  });

  scenario('a mutation with a mutationId keeps it; close() ends subscriptions and later calls fail with an Error', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers);
    const { create, get, subscription } = fixture;
    const pending = await c.mutate({ query: create.document, variables: { input: { id: `${prefix}close`, name: 'closing' } }, mutationId: 'lite-mutation' });
    check(pending.id === 'lite-mutation', `id ${pending.id}`);
    check((await pending.outcome()).type === 'succeeded', 'outcome');
    const log = new EventLog<SubscriptionEvent>();
    const events = c.subscribe({ query: subscription.document, variables: subscription.variables });
    const consumed = (async () => {
      for await (const event of events) log.push(event);
    })();
    await log.wait((e) => e.type === 'started', 'started');
    c.close();
    await withTimeout(consumed, 10_000, 'the for await to end on close');
    const closed = await rejection(c.query({ query: get.document, variables: get.variables }));
    check(closed instanceof Error && /closed/.test(closed.message), `expected the closed-client Error, got ${String(closed)}`);
    c.close();
  });

  const { passed, failed } = await runScenarios(scenarios);
  window.__done = { passed, failed };
}

main().catch(async (error: unknown) => {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await window.__report?.({ name: 'lite: the suite could not start', ok: false, detail, ms: 0 });
  window.__done = { passed: 0, failed: 1 };
});
