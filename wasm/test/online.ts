// The browser suite's shared part: its helpers, the page's environment (the mock, the shared
// fixtures of tests/fixtures/scenarios.json, JS providers) and the scenarios of the online client
// (query and mutate, every auth mode, typed errors, subscriptions), which run on both entries:
// page.html (`@appsync-rs/client`, scenarios.ts) and lite.html (`@appsync-rs/client/lite`,
// lite.ts). Types only are imported here: each page brings its own entry's classes.
import type {
  AppSyncError,
  AuthError,
  ConfigError,
  GraphQLResponseError,
  HttpError,
  InvalidDocumentError,
  InvalidResponseError,
  NetworkError,
  OnlineClient,
  AuthMode,
  AuthProviders,
  GraphQLRequest,
  JsonObject,
  JsonValue,
  Subscription,
  SubscriptionEvent,
} from '@appsync-rs/client';

export interface Operation {
  document: string;
  variables: JsonObject;
}

export interface Fixture {
  create: Operation & { expect: JsonObject };
  get: Operation & { expect: JsonObject };
  authModes: {
    document: string;
    modes: AuthMode[];
    lambdaToken: string;
    iam: { accessKeyId: string; secretAccessKey: string };
  };
  graphqlError: { document: string; expectErrorType: string; expectPath: JsonValue[]; expectCode: string };
  networkError: { endpoint: string; expectCode: string };
  badData: { document: string; bodies: string[]; expectCode: string };
  subscription: Operation & {
    trigger: Operation;
    expect: JsonObject;
    afterCancel: Operation;
  };
  cache: {
    keyPrefix: string;
    create: Operation;
    query: Operation;
    expectCreated: JsonObject;
    update: Operation;
    expectUpdated: JsonObject;
    fragment: { document: string; key: string; data: JsonObject };
    expectWritten: JsonObject;
    expectFragment: JsonObject;
    writeQuery: { variables: JsonObject; data: JsonObject };
    evictKey: string;
    expectMissType: string;
    offlineEndpoint: string;
  };
  outbox: {
    create: Operation & { optimistic: JsonObject };
    update: Operation & { optimistic: JsonObject };
    fragment: { document: string; key: string };
    expectShown: JsonObject;
    get: Operation;
    expectServer: JsonObject;
    rejected: Operation;
    conflict: Operation;
    expectConflictType: string;
  };
  outboxUpdate: {
    list: Operation;
    seed: JsonObject;
    create: Operation & { optimistic: JsonObject };
    expectItems: JsonValue[];
    expectPasses: boolean[];
    expectLateWriteCode: string;
  };
  outboxFaults: {
    options: { retryBaseMs: number; retryCapMs: number };
    steps: { name: string; faults: JsonObject; create: Operation; minRetries: number; browserMinRetries?: number; maxRetries: number; code?: string; minDelayMs?: number }[];
    get: { document: string };
    refresh: { faults: JsonObject; create: Operation; authMode: AuthMode };
  };
}

export interface Result {
  name: string;
  ok: boolean;
  detail: string;
  ms: number;
}

/** What one tab of the two-tab run reports to the runner (run.mjs checks both together). */
export interface TabReport {
  /** Its mutations' ids, in the order it queued them. */
  queued: string[];
  outcomes: string[];
  /** The ids its outbox sent (Sending events), in order: the lease lets one tab send at a time. */
  sent: string[];
  /** The `_version` the server holds for this tab's item. */
  version: JsonValue;
}

declare global {
  interface Window {
    __report?: (result: Result) => Promise<void>;
    __done?: { passed: number; failed: number; reloadWith?: string };
    /** The two-tab run (`?phase=tab`): the runner calls these in turn on both pages. */
    __tab?: { enqueue: () => Promise<string[]>; online: () => Promise<TabReport> };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class AssertionFailed extends Error {}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new AssertionFailed(message);
}

export function same(actual: unknown, expected: unknown): boolean {
  if (actual === expected) return true;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return actual.length === expected.length && actual.every((item, i) => same(item, expected[i]));
  }
  if (typeof actual === 'object' && typeof expected === 'object' && actual !== null && expected !== null) {
    if (Array.isArray(actual) || Array.isArray(expected)) return false;
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    const keys = Object.keys(e);
    return keys.length === Object.keys(a).length && keys.every((k) => same(a[k], e[k]));
  }
  return false;
}

export function checkSame(actual: unknown, expected: unknown, what: string): void {
  check(same(actual, expected), `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Awaits `promise`, failing when it resolves; returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    throw new AssertionFailed(`expected a rejection, it resolved to ${JSON.stringify(value)}`);
  } catch (error) {
    if (error instanceof AssertionFailed) throw error;
    return error;
  }
}

export function checkError(error: unknown, type: abstract new (...args: never[]) => AppSyncError, code: string): void {
  check(error instanceof type, `expected a ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  check(error instanceof Error, 'the error is an Error');
  check(error.name === type.name, `name is ${error.name}, expected ${type.name}`);
  check(error.code === code, `code is ${error.code}, expected ${code} (${error.message})`);
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new AssertionFailed(`timed out after ${ms} ms waiting for ${what}`);
    }),
  ]);
}

/** Collects events from callbacks, and lets a test wait for one that matches. */
export class EventLog<T> {
  readonly events: T[] = [];
  #waiters: { match: (event: T) => boolean; resolve: (event: T) => void }[] = [];

  readonly push = (event: T): void => {
    this.events.push(event);
    for (const waiter of [...this.#waiters]) {
      if (waiter.match(event)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  };

  wait(match: (event: T) => boolean, what: string, ms = 10_000): Promise<T> {
    const seen = this.events.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return withTimeout(new Promise<T>((resolve) => this.#waiters.push({ match, resolve })), ms, what);
  }
}

export const isData = (event: SubscriptionEvent): event is { type: 'data'; data: JsonObject } => event.type === 'data';

/** The `input.id` of a create operation. */
export function inputId(operation: Operation): JsonValue | undefined {
  const input = operation.variables['input'];
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? input['id'] : undefined;
}

export function dataId(event: SubscriptionEvent): JsonValue | undefined {
  if (!isData(event)) return undefined;
  const payload = event.data['onCreateTodo'];
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload['id'] : undefined;
}

/** The page's environment: the mock, the fixtures (for this run's prefix), the config, JS providers. */
export interface Env {
  base: string;
  prefix: string;
  fixture: Fixture;
  fixtureFor: (prefix: string) => Fixture;
  configText: string;
  /** How often each provider was asked. */
  calls: Record<string, number>;
  providers: AuthProviders;
  /** The config with another GraphQL endpoint. */
  withUrl: (url: string) => string;
  /** A fresh token from the mock's user pool or OIDC provider. */
  mintToken: (provider: 'userPools' | 'oidc') => Promise<{ token: string }>;
}

/** Where the mock is (the runner's settings). */
export async function settings(): Promise<{ mockUrl: string; base: string }> {
  const { mockUrl } = (await (await fetch('/__settings')).json()) as { mockUrl: string };
  return { mockUrl, base: mockUrl.replace(/\/graphql$/, '') };
}

export async function environment(base: string, prefix: string): Promise<Env> {
  const fixtureText = await (await fetch('/fixtures/scenarios.json')).text();
  const fixtureFor = (p: string): Fixture => JSON.parse(fixtureText.replaceAll('{prefix}', p)) as Fixture;
  const fixture = fixtureFor(prefix);
  const configText = await (await fetch(`${base}/__mock/config`)).text();
  const calls: Record<string, number> = {};
  const counted = <A extends unknown[], R>(name: string, f: (...args: A) => R) => (...args: A): R => {
    calls[name] = (calls[name] ?? 0) + 1;
    return f(...args);
  };
  const mintToken = async (provider: 'userPools' | 'oidc'): Promise<{ token: string }> => {
    const response = await fetch(`${base}/__mock/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider }),
    });
    return (await response.json()) as { token: string };
  };
  const providers: AuthProviders = {
    userPools: counted('userPools', () => mintToken('userPools')),
    oidc: counted('oidc', () => mintToken('oidc')),
    lambda: counted('lambda', async () => ({ token: fixture.authModes.lambdaToken })),
    iam: counted('iam', async () => ({ ...fixture.authModes.iam })),
    headers: counted('headers', async () => ({ 'x-web-suite': prefix })),
  };
  const withUrl = (url: string): string => {
    const outputs = JSON.parse(configText) as { data: JsonObject };
    outputs.data['url'] = url;
    return JSON.stringify(outputs);
  };
  return { base, prefix, fixture, fixtureFor, configText, calls, providers, withUrl, mintToken };
}

export type Scenario = [string, () => Promise<void>];

/** A page's scenarios, in order, and the function that adds one (its name after `label`). */
export function scenarioList(label = ''): { scenarios: Scenario[]; scenario: (name: string, run: () => Promise<void>) => void } {
  const scenarios: Scenario[] = [];
  const scenario = (name: string, run: () => Promise<void>): void => {
    scenarios.push([`${label}${name}`, run]);
  };
  return { scenarios, scenario };
}

/** What the online scenarios need of an entry's exports (`import * as entry from ...`). */
export interface Entry<C extends OnlineClient> {
  AppSyncClient: { create(config: string | JsonObject, sourceName: string, providers?: AuthProviders): Promise<C> };
  AuthError: typeof AuthError;
  ConfigError: typeof ConfigError;
  GraphQLResponseError: typeof GraphQLResponseError;
  HttpError: typeof HttpError;
  InvalidDocumentError: typeof InvalidDocumentError;
  InvalidResponseError: typeof InvalidResponseError;
  NetworkError: typeof NetworkError;
}

/**
 * Registers the online client's scenarios with `scenario`, on the client of `entry`; `cached`
 * reads what the cache holds for a request (the full entry's `readQuery`; the lite entry has no
 * cache). Returns the client the first one builds (`theClient`), for the entry's own scenarios
 * after them.
 */
export function onlineScenarios<C extends OnlineClient>(
  env: Env,
  entry: Entry<C>,
  scenario: (name: string, run: () => Promise<void>) => void,
  cached?: (client: C, request: GraphQLRequest) => Promise<unknown>,
): () => C {
  const { base, prefix, fixture, fixtureFor, configText, calls, providers, withUrl } = env;
  const { AuthError, ConfigError, GraphQLResponseError, HttpError, InvalidDocumentError, InvalidResponseError, NetworkError } = entry;
  const api = { create: (config: string | JsonObject, sourceName: string, providers?: AuthProviders) => entry.AppSyncClient.create(config, sourceName, providers) };
  let client: C | undefined;
  const theClient = (): C => {
    check(client !== undefined, 'the client was not built');
    return client;
  };

  scenario("builds a client from the mock's amplify_outputs.json", async () => {
    client = await api.create(configText, 'amplify_outputs.json', providers);
  });

  scenario('create returns the expected item', async () => {
    const { create } = fixture;
    const response = (await (await theClient().mutate({ query: create.document, variables: create.variables })).response())!;
    checkSame(response.data, create.expect, 'createTodo');
    checkSame(response.errors, [], 'errors');
  });

  scenario('get reads the created item back', async () => {
    const { get } = fixture;
    const response = await theClient().query({ query: get.document, variables: get.variables });
    checkSame(response.data, get.expect, 'getTodo');
  });

  for (const mode of fixture.authModes.modes) {
    scenario(`auth mode ${mode} with a JS provider`, async () => {
      const provider: Partial<Record<AuthMode, string>> = {
        AMAZON_COGNITO_USER_POOLS: 'userPools',
        OPENID_CONNECT: 'oidc',
        AWS_LAMBDA: 'lambda',
        AWS_IAM: 'iam',
      };
      const name = provider[mode];
      const before = name === undefined ? 0 : (calls[name] ?? 0);
      const response = await theClient().query<{ listTodos: { items: JsonObject[] } }>({
        query: fixture.authModes.document,
        authMode: mode,
      });
      check(Array.isArray(response.data?.listTodos.items), `listTodos.items: ${JSON.stringify(response.data)}`);
      if (name !== undefined) {
        check((calls[name] ?? 0) > before || before > 0, `the ${name} provider was never called`);
      }
    });
  }

  scenario('the headers provider is asked on every request', async () => {
    const before = calls['headers'] ?? 0;
    await theClient().query({ query: fixture.authModes.document });
    await theClient().query({ query: fixture.authModes.document });
    check((calls['headers'] ?? 0) === before + 2, `called ${(calls['headers'] ?? 0) - before} times for 2 requests`);
  });

  scenario('GraphQL errors reject with a GraphQLResponseError keeping errorType, path and data', async () => {
    const { graphqlError } = fixture;
    const error = await rejection(theClient().query({ query: graphqlError.document }));
    checkError(error, GraphQLResponseError, graphqlError.expectCode);
    const first = error instanceof GraphQLResponseError ? error.errors[0] : undefined;
    check(first !== undefined, 'errors is empty');
    check(first.errorType === graphqlError.expectErrorType, `errorType ${String(first.errorType)}`);
    checkSame(first.path, graphqlError.expectPath, 'path');
    check(error instanceof GraphQLResponseError && error.data !== null && 'listTodos' in error.data, 'partial data kept');
  });

  scenario("errorPolicy 'all' resolves with data and errors together", async () => {
    const { graphqlError } = fixture;
    const response = await theClient().query({ query: graphqlError.document, errorPolicy: 'all' });
    check(response.data !== null && 'listTodos' in response.data, `data: ${JSON.stringify(response.data)}`);
    check(response.errors[0]?.errorType === graphqlError.expectErrorType, `errors: ${JSON.stringify(response.errors)}`);
  });

  scenario('an unreachable endpoint rejects with a NetworkError', async () => {
    const { networkError } = fixture;
    const offline = await api.create(withUrl(networkError.endpoint), 'unreachable.json', providers);
    const error = await rejection(offline.query({ query: fixture.authModes.document }));
    checkError(error, NetworkError, networkError.expectCode);
  });

  scenario('data a tree parse rejects is an InvalidResponseError, and nothing of it is cached', async () => {
    const { badData } = fixture;
    const faults = async (method: 'POST' | 'DELETE', body: JsonObject | null): Promise<void> => {
      const response = await fetch(`${base}/__mock/faults`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === null ? null : JSON.stringify(body),
      });
      check(response.ok, `${method} /__mock/faults answered ${response.status}`);
    };
    const c = theClient();
    try {
      for (const body of badData.bodies) {
        await faults('POST', { answerNext: 1, answer: body });
        const error = await rejection(c.query({ query: badData.document }));
        checkError(error, InvalidResponseError, badData.expectCode);
        if (cached !== undefined) checkSame(await cached(c, { query: badData.document }), null, `cached after ${body}`);
      }
    } finally {
      await faults('DELETE', null);
    }
  });

  scenario('a rejected API key is an HttpError with status, errorType and body', async () => {
    const outputs = JSON.parse(configText) as { data: JsonObject };
    outputs.data['api_key'] = 'da2-not-a-valid-key';
    const wrongKey = await api.create(outputs, 'wrong-key.json');
    const error = await rejection(wrongKey.query({ query: fixture.authModes.document, authMode: 'API_KEY' }));
    checkError(error, HttpError, 'UNAUTHORIZED');
    check(error instanceof HttpError && error.status === 401, `status ${error instanceof HttpError ? error.status : '?'}`);
    check(error instanceof HttpError && error.errorType !== null && error.body.length > 0, 'errorType and body kept');
  });

  scenario('a bad config text is a ConfigError naming the source and key', async () => {
    const broken = await rejection(api.create('{"data": {"url": 42}}', 'broken.json'));
    checkError(broken, ConfigError, 'CONFIG');
    check(broken instanceof ConfigError && broken.sourceName === 'broken.json', 'sourceName');
    check(broken instanceof ConfigError && broken.key.startsWith('data'), `key ${broken instanceof ConfigError ? broken.key : ''}`);
    checkError(await rejection(api.create('not json at all', 'garbage.json')), ConfigError, 'CONFIG');
    const notFunction = { userPools: 'a token' } as unknown as AuthProviders;
    checkError(await rejection(api.create(configText, 'amplify_outputs.json', notFunction)), ConfigError, 'CONFIG');
  });

  scenario('a provider that throws (or resolves to garbage) is an AuthError', async () => {
    const failing = await api.create(configText, 'amplify_outputs.json', {
      userPools: () => {
        throw new Error('no signed-in user');
      },
      oidc: () => Promise.reject(new Error('refresh failed')),
      lambda: (() => Promise.resolve({ tok: 1 })) as unknown as AuthProviders['lambda'],
    });
    const query = fixture.authModes.document;
    const thrown = await rejection(failing.query({ query, authMode: 'AMAZON_COGNITO_USER_POOLS' }));
    checkError(thrown, AuthError, 'AUTH');
    check(thrown instanceof AuthError && thrown.message.includes('no signed-in user'), `message ${String(thrown)}`);
    check(thrown instanceof AuthError && thrown.authMode === 'AMAZON_COGNITO_USER_POOLS', 'authMode');
    checkError(await rejection(failing.query({ query, authMode: 'OPENID_CONNECT' })), AuthError, 'AUTH');
    checkError(await rejection(failing.query({ query, authMode: 'AWS_LAMBDA' })), AuthError, 'AUTH');
    checkError(await rejection(failing.query({ query, authMode: 'AWS_IAM' })), AuthError, 'AUTH');
  });

  scenario('a subscription whose provider throws ends with a failed event holding an AuthError', async () => {
    const failing = await api.create(configText, 'amplify_outputs.json', {
      userPools: () => {
        throw new Error('no signed-in user');
      },
    });
    const { subscription } = fixture;
    const seen: SubscriptionEvent[] = [];
    const consume = async (): Promise<void> => {
      for await (const event of failing.subscribe({
        query: subscription.document,
        variables: subscription.variables,
        authMode: 'AMAZON_COGNITO_USER_POOLS',
      })) {
        seen.push(event);
      }
    };
    await withTimeout(consume(), 10_000, 'the iteration to end after the failed event');
    const last = seen[seen.length - 1];
    check(last?.type === 'failed', `events: ${JSON.stringify(seen)}`);
    checkError(last.error, AuthError, 'AUTH');
    check(last.error.message.includes('no signed-in user'), last.error.message);
  });

  scenario('malformed requests are InvalidDocumentErrors, never a crash', async () => {
    const c = theClient();
    const bad = [
      { query: fixture.get.document, variables: [1, 2] },
      { query: fixture.get.document, variables: 'id' },
      { query: 42 },
      { query: fixture.get.document, variables: { id: 'x' }, authMode: 'COGNITO' },
      { query: 'query { nope(' },
      { query: fixture.create.document, variables: {} },
    ] as unknown as GraphQLRequest[];
    for (const request of bad) {
      checkError(await rejection(c.query(request)), InvalidDocumentError, 'INVALID_DOCUMENT');
    }
    check(
      (() => {
        try {
          c.subscribe({ query: fixture.get.document, variables: [] } as unknown as GraphQLRequest, () => {});
          return false;
        } catch (error) {
          return error instanceof InvalidDocumentError;
        }
      })(),
      'subscribe with bad variables throws an InvalidDocumentError',
    );
    // The client still works afterwards.
    const response = await c.query({ query: fixture.get.document, variables: fixture.get.variables });
    checkSame(response.data, fixture.get.expect, 'getTodo after bad input');
  });

  /** A subscription that stays open to show the server did emit the afterCancel event. */
  const witness = (c: C, f: Fixture): { log: EventLog<SubscriptionEvent>; stop: () => void } => {
    const log = new EventLog<SubscriptionEvent>();
    const handle = c.subscribe({ query: f.subscription.document, variables: f.subscription.variables }, log.push);
    return { log, stop: handle.unsubscribe };
  };

  scenario('subscription (callback) receives the event, and nothing after unsubscribe', async () => {
    const c = theClient();
    const f = fixtureFor(`${prefix}cb-`);
    const sub = f.subscription;
    const log = new EventLog<SubscriptionEvent>();
    const handle = c.subscribe({ query: sub.document, variables: sub.variables }, log.push);
    const watch = witness(c, f);
    try {
      await log.wait((e) => e.type === 'started', 'started');
      await watch.log.wait((e) => e.type === 'started', 'the witness started');
      await (await c.mutate({ query: sub.trigger.document, variables: sub.trigger.variables })).response();
      const event = await log.wait(isData, 'the trigger event');
      checkSame(isData(event) ? event.data : undefined, sub.expect, 'event payload');
      handle.unsubscribe();
      const seen = log.events.length;
      await (await c.mutate({ query: sub.afterCancel.document, variables: sub.afterCancel.variables })).response();
      const id = inputId(sub.afterCancel);
      await watch.log.wait((e) => dataId(e) === id, 'the witness to see the afterCancel event');
      await sleep(1000);
      check(log.events.length === seen, `events after unsubscribe: ${JSON.stringify(log.events.slice(seen))}`);
    } finally {
      handle.unsubscribe();
      watch.stop();
    }
  });

  scenario('subscription (async iterator) receives the event; return() cancels it', async () => {
    const c = theClient();
    const f = fixtureFor(`${prefix}it-`);
    const sub = f.subscription;
    const events: Subscription = c.subscribe({ query: sub.document, variables: sub.variables });
    const watch = witness(c, f);
    try {
      let payload: JsonObject | undefined;
      const consume = async (): Promise<void> => {
        for await (const event of events) {
          if (event.type === 'started') {
            await watch.log.wait((e) => e.type === 'started', 'the witness started');
            await (await c.mutate({ query: sub.trigger.document, variables: sub.trigger.variables })).response();
          }
          if (event.type === 'data') {
            payload = event.data;
            break;
          }
          if (event.type === 'failed') throw event.error;
        }
      };
      await withTimeout(consume(), 10_000, 'the trigger event through for await');
      checkSame(payload, sub.expect, 'event payload');
      await (await c.mutate({ query: sub.afterCancel.document, variables: sub.afterCancel.variables })).response();
      const id = inputId(sub.afterCancel);
      await watch.log.wait((e) => dataId(e) === id, 'the witness to see the afterCancel event');
      const after = await Promise.race([events.next(), sleep(1000).then(() => 'pending' as const)]);
      check(after !== 'pending' && after.done === true, `after break: ${JSON.stringify(after)}`);
    } finally {
      events.unsubscribe();
      watch.stop();
    }
  });

  scenario('reconnectRealtime() keeps subscriptions alive and reports the reconnect', async () => {
    const c = theClient();
    const f = fixtureFor(`${prefix}re-`);
    const sub = f.subscription;
    const log = new EventLog<SubscriptionEvent>();
    const handle = c.subscribe({ query: sub.document, variables: sub.variables }, log.push);
    try {
      await log.wait((e) => e.type === 'started', 'started');
      c.reconnectRealtime();
      await log.wait((e) => e.type === 'resubscribed', 'resubscribed after reconnectRealtime()');
      await (await c.mutate({ query: sub.trigger.document, variables: sub.trigger.variables })).response();
      const event = await log.wait(isData, 'the trigger event after the reconnect');
      checkSame(isData(event) ? event.data : undefined, sub.expect, 'event payload');
    } finally {
      handle.unsubscribe();
    }
  });

  scenario('a socket the server drops is reported, reconnected and resubscribed', async () => {
    const c = theClient();
    const f = fixtureFor(`${prefix}drop-`);
    const sub = f.subscription;
    const log = new EventLog<SubscriptionEvent>();
    const handle = c.subscribe({ query: sub.document, variables: sub.variables }, log.push);
    try {
      await log.wait((e) => e.type === 'started', 'started');
      const faults = await fetch(`${base}/__mock/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ closeSockets: true }),
      });
      check(faults.ok, `POST /__mock/faults answered ${faults.status}`);
      await log.wait(
        (e) => e.type === 'connectionState' && e.state.status === 'disrupted',
        'a disrupted connection state',
      );
      await log.wait((e) => e.type === 'resubscribed', 'resubscribed after the drop');
      await (await c.mutate({ query: sub.trigger.document, variables: sub.trigger.variables })).response();
      const event = await log.wait(isData, 'the trigger event after the drop');
      checkSame(isData(event) ? event.data : undefined, sub.expect, 'event payload');
    } finally {
      handle.unsubscribe();
    }
  });

  return theClient;
}

/** Runs the scenarios in order, each reported to the runner as it ends; resolves to the counts. */
export async function runScenarios(scenarios: Scenario[]): Promise<{ passed: number; failed: number }> {
  let passed = 0;
  let failed = 0;
  for (const [name, run] of scenarios) {
    const started = performance.now();
    let ok = true;
    let detail = '';
    try {
      await withTimeout(run(), 30_000, name);
    } catch (error) {
      ok = false;
      detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    if (ok) passed += 1;
    else failed += 1;
    await window.__report?.({ name, ok, detail, ms: Math.round(performance.now() - started) });
  }
  return { passed, failed };
}
