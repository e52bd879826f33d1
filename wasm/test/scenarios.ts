// The browser suite of the full entry (`@appsync-rs/client`, page.html): runs in a real page
// (real fetch, real WebSocket) against appsync-mock, the online client's scenarios (online.ts,
// shared with the lite entry's page) and then the cache's and the outbox's, from the shared
// fixtures of tests/fixtures/scenarios.json, plus the package's own error cases. Results go to the
// Node runner (run.mjs) through window.__report, and the summary through window.__done.
import {
  AppSyncClient,
  AppSyncError,
  CacheError,
  ConfigError,
  GraphQLResponseError,
  InvalidDocumentError,
  NetworkError,
  type AuthProviders,
  type GraphQLRequest,
  type JsonObject,
  type JsonValue,
  type Conflict,
  type MutationCache,
  type MutationUpdate,
  type OutboxEvent,
  type WatchResult,
} from '@appsync-rs/client';
import * as full from '@appsync-rs/client';
import initRaw, { WasmClient } from 'appsync-wasm-raw';
import {
  EventLog,
  check,
  checkError,
  checkSame,
  environment,
  inputId,
  onlineScenarios,
  rejection,
  runScenarios,
  scenarioList,
  same,
  settings,
  sleep,
  withTimeout,
} from './online.js';

async function main(): Promise<void> {
  const { base } = await settings();
  const params = new URL(location.href).searchParams;
  // After a reload the runner passes the first load's prefix back, so the same data is found.
  const reloaded = params.get('phase') === 'reload';
  if (params.get('phase') === 'tab') {
    await tabPhase(params.get('tab') ?? 'a', params.get('prefix') ?? 'web-tabs-', base);
    return;
  }
  const prefix = params.get('prefix') ?? `web-${Math.random().toString(36).slice(2, 10)}-`;
  const env = await environment(base, prefix);
  const { fixture, fixtureFor, configText, providers, withUrl, mintToken } = env;

  const { scenarios, scenario } = scenarioList();
  // The online client's scenarios (online.ts), shared with the lite entry's page.
  const theClient = onlineScenarios(env, full, scenario, (client, request) => client.readQuery(request));

  scenario('float literals in a document are read to the nearest double', async () => {
    // The browser build reads them with the engine's parseFloat; the cache's field keys show
    // the values read (as JSON), which must equal what JavaScript reads from the same text.
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    const literals = ['0.1', '-2.5E-3', '1e300', '123456789.123456789', '4.9406564584124654e-324', '9007199254740993.0'];
    const query = `query { ${literals.map((literal, i) => `f${i}: a(x: ${literal})`).join(' ')} }`;
    const data = Object.fromEntries(literals.map((_, i) => [`f${i}`, i]));
    checkSame(await c.writeQuery({ query }, data), [], 'writeQuery warnings');
    const root = (await c.extract())['ROOT_QUERY'] as JsonObject;
    const read = Object.keys(root).map((key) => (JSON.parse(key.slice('a('.length, -1)) as { x: number }).x);
    const expected = literals.map(Number);
    const order = (a: number, b: number): number => a - b;
    checkSame(read.sort(order), expected.sort(order), 'the values read');
  });

  scenario('readQuery hands back the frozen objects of unchanged entities and rebuilds the changed ones', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    type Item = { id: string; name: string; owner: { id: string; name: string } };
    type List = { listTodos: { items: Item[] } };
    const list = { query: 'query Reuse { listTodos { items { id name owner { id name } } } }' };
    const item = (id: string, name: string): JsonObject => ({
      __typename: 'Todo',
      id,
      name,
      owner: { __typename: 'User', id: 'u1', name: 'Ann' },
    });
    const data = { listTodos: { __typename: 'ModelTodoConnection', items: [item('r1', 'a'), item('r2', 'b'), item('r3', 'c')] } };
    checkSame(await c.writeQuery(list, data), [], 'writeQuery warnings');
    const first = await c.readQuery<List>(list);
    checkSame(first, data, 'the first read');
    const second = await c.readQuery<List>(list);
    check(first !== null && second !== null, 'both reads found the list');
    check(second !== first && second.listTodos.items !== first.listTodos.items, 'each read has its own containers');
    check(second.listTodos.items.every((it, i) => it === first.listTodos.items[i]), 'unchanged items are the same objects');
    check(Object.isFrozen(first.listTodos.items[0]) && Object.isFrozen(first.listTodos.items[0]?.owner), 'shared objects are frozen');
    // A refetch of the same data changes no record: the same objects again.
    checkSame(await c.writeQuery(list, data), [], 'writeQuery of the same data');
    const refetched = await c.readQuery<List>(list);
    check(refetched?.listTodos.items.every((it, i) => it === first.listTodos.items[i]) === true, 'the same objects after a refetch');
    await c.writeFragment({ fragment: 'fragment N on Todo { name }', key: 'Todo:r2', data: { __typename: 'Todo', name: 'b2' } });
    const third = await c.readQuery<List>(list);
    check(third !== null, 'the list after the rename');
    check(third.listTodos.items[0] === first.listTodos.items[0] && third.listTodos.items[2] === first.listTodos.items[2], 'the others are reused');
    check(third.listTodos.items[1] !== first.listTodos.items[1], 'the renamed item is a new object');
    checkSame(third.listTodos.items[1]?.name, 'b2', 'the new name');
    checkSame(first.listTodos.items[1]?.name, 'b', 'an earlier result keeps its data');
    await c.writeFragment({ fragment: 'fragment U on User { name }', key: 'User:u1', data: { __typename: 'User', name: 'Ann2' } });
    const fourth = await c.readQuery<List>(list);
    check(fourth !== null, 'the list after the owner rename');
    checkSame(fourth.listTodos.items.map((it) => it.owner.name), ['Ann2', 'Ann2', 'Ann2'], 'every item shows the new owner');
    check(fourth.listTodos.items.every((it, i) => it !== third.listTodos.items[i]), 'every item read the owner: all new');
    // A long list: after one item's change the next read patches the last one.
    const many = Array.from({ length: 40 }, (_, i) => item(`m${i}`, `name ${i}`));
    await c.writeQuery(list, { listTodos: { __typename: 'ModelTodoConnection', items: many } });
    const before = await c.readQuery<List>(list);
    check(before !== null && before.listTodos.items.length === 40, 'the long list');
    const kept = [...before.listTodos.items];
    await c.writeFragment({ fragment: 'fragment N on Todo { name }', key: 'Todo:m5', data: { __typename: 'Todo', name: 'five' } });
    const after = await c.readQuery<List>(list);
    check(after !== null && after.listTodos.items !== before.listTodos.items, 'a new array');
    checkSame(after.listTodos.items.map((it) => it.name), many.map((it, i) => (i === 5 ? 'five' : it['name'])), 'the patched list');
    check(after.listTodos.items.every((it, i) => (i === 5 ? it !== kept[i] : it === kept[i])), 'only the changed item is a new object');
    check(before.listTodos.items.every((it, i) => it === kept[i]), 'the earlier array is left as it was');
    // A watch over the long list hands over the same objects for the items that did not change.
    const log = new EventLog<WatchResult>();
    const handle = c.watchQuery({ ...list, fetchPolicy: 'cache-only' }, log.push);
    try {
      const listOf = (r: WatchResult): Item[] | undefined => (r.type === 'result' ? (r.data as List | null)?.listTodos.items : undefined);
      const shown = listOf(await log.wait((r) => listOf(r)?.[5]?.name === 'five', 'the watched list'));
      await c.writeFragment({ fragment: 'fragment N on Todo { name }', key: 'Todo:m9', data: { __typename: 'Todo', name: 'nine' } });
      const next = listOf(await log.wait((r) => listOf(r)?.[9]?.name === 'nine', 'the watch after a rename'));
      check(shown !== undefined && next !== undefined, 'two results');
      check(next.every((it, i) => (i === 9 ? it !== shown[i] : it === shown[i])), 'the watch hands over the unchanged items again');
      check(shown[9]?.name === 'name 9', 'the earlier result is left as it was');
      // A change the query does not show (a field it does not select) delivers nothing; the
      // next change it shows delivers one result.
      const results = log.events.length;
      await c.writeFragment({ fragment: 'fragment D on Todo { description }', key: 'Todo:m3', data: { __typename: 'Todo', description: 'unseen' } });
      await c.writeFragment({ fragment: 'fragment N on Todo { name }', key: 'Todo:m4', data: { __typename: 'Todo', name: 'four' } });
      const shownAgain = listOf(await log.wait((r) => listOf(r)?.[4]?.name === 'four', 'the watch after a shown change'));
      checkSame(log.events.length, results + 1, 'results delivered for an unseen and a shown change');
      check(shownAgain !== undefined && shownAgain[3] !== undefined && shownAgain[3].name === 'name 3', 'the item with the unseen change');
    } finally {
      handle.unsubscribe();
    }
    await c.writeQuery(list, data);
    await c.gc();
    checkSame(await c.readQuery(list), data, 'the first list again, after gc');
    await c.evict('Todo:r3');
    checkSame(await c.readQuery(list), null, 'after evicting an item');
    c.close();
  });

  scenario('a first read of a list too long to hand over at once (its entries come in chunks) reads it whole', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    type List = { listTodos: { items: JsonObject[] } };
    const list = { query: 'query Chunks { listTodos { items { id name description owner { id name } } } }' };
    // About 1 MB of items' tape: three chunks of 256 KiB and the rest.
    const items = Array.from({ length: 3000 }, (_, i) => ({
      __typename: 'Todo',
      id: `k${i}`,
      name: `item ${i}`,
      description: `the description of item ${i}, long enough to make the list's text long: ${'x'.repeat(160)}`,
      owner: { __typename: 'User', id: `o${i % 7}`, name: `owner ${i % 7}` },
    }));
    const data = { listTodos: { __typename: 'ModelTodoConnection', items } };
    checkSame(await c.writeQuery(list, data), [], 'writeQuery warnings');
    const first = await c.readQuery<List>(list);
    checkSame(first, data, 'the first read');
    const again = await c.readQuery<List>(list);
    check(again?.listTodos.items.every((it, i) => it === first?.listTodos.items[i]) === true, 'the same objects on the next read');
    c.close();
  });

  scenario('a read builds every kind of value an object holds as it was written', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    const list = { query: 'query Kinds { listTodos { items { id name label: name priority big ratio done note tags meta owner { id name } } } }' };
    const item = (id: string, name: string, priority: number): JsonObject => ({
      __typename: 'Todo',
      id,
      name,
      label: name,
      priority,
      big: 3000000000,
      ratio: 1.5,
      done: true,
      note: null,
      tags: ['a', 'ü', null, 7],
      meta: { k: [1, 'x"y'], nested: { '\u0000': 0 } },
      owner: { __typename: 'User', id: 'u-ø', name: 'Zoë 😀' },
    });
    const data = { listTodos: { __typename: 'ModelTodoConnection', items: [item('1', 'naïve ☕ 😀 \\ " \n', -5), item('2', '', -2147483648), item('3', 'plain', 2147483648)] } };
    checkSame(await c.writeQuery(list, data), [], 'writeQuery warnings');
    checkSame(await c.readQuery(list), data, 'the read');
    const read = await c.readQuery<{ listTodos: { items: JsonObject[] } }>(list);
    check(read !== null && Object.isFrozen(read.listTodos.items[0]) && Object.isFrozen(read.listTodos.items[0]?.['tags']), 'shared objects are frozen');
    c.close();
  });

  scenario('writeQuery takes the app\'s objects as JSON.stringify does, at the time of the call', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    const doc = { query: 'query Walk { todo { id name meta owner { id name } } }' };
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
      get sum(): number {
        return this.x + this.y;
      }
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare['k'] = 'v';
    const meta = {
      date: new Date(Date.UTC(2026, 10, 22, 12, 0, 0)),
      gone: undefined,
      fn: () => 1,
      sym: Symbol('s'),
      numbers: [undefined, () => 1, NaN, Infinity, -Infinity, -0, 1e21, 0.1, 2 ** 53, -2147483649, 4294967295],
      boxed: [new Number(3), new String('s'), new Boolean(false)],
      point: new Point(1, 2),
      custom: { toJSON: (key: string) => `custom at ${key}` },
      nothing: { toJSON: () => undefined },
      notAFunction: { toJSON: 'kept' },
      bare,
      'ü key': 'ünïcödé 😀',
      deep: [[[[{ a: [[{}]] }]]]],
      // A `__proto__` field that writes nothing is left out, as any other (nothing inherited
      // shows up in its place).
      ['__proto__']: { toJSON: () => undefined },
      // Functions are written when they have a `toJSON`, as any object.
      fnWithToJSON: Object.assign(() => 1, { toJSON: (key: string) => `fn at ${key}` }),
      staticToJSON: class {
        static toJSON(): string {
          return 'static';
        }
      },
      datesInAList: [new Date(0), new Point(3, 4)],
    };
    const data = { todo: { __typename: 'Todo', id: 't-1', name: 'walked', meta, owner: Object.assign(Object.create(null), { __typename: 'User', id: 'u-1', name: 'Ann' }) } };
    const expected = JSON.parse(JSON.stringify(data)) as JsonObject;
    const written = c.writeQuery(doc, data as unknown as JsonObject);
    // Changed after the call: the write has what the data held when it was asked for.
    data.todo.name = 'changed later';
    checkSame(await written, [], 'writeQuery warnings');
    checkSame(await c.readQuery(doc), expected, 'the read is what JSON.stringify makes of the data');
    // What JSON.stringify throws on is an AppSyncError, and the cache keeps what it had.
    const cyclic: Record<string, unknown> = { __typename: 'Todo', id: 't-1', name: 'cycle', owner: null };
    cyclic['meta'] = { back: cyclic };
    for (const [what, bad] of [
      ['a cycle', { todo: cyclic }],
      ['a BigInt', { todo: { __typename: 'Todo', id: 't-1', name: 'big', meta: 10n, owner: null } }],
    ] as const) {
      const error = await rejection(c.writeQuery(doc, bad as unknown as JsonObject));
      check(error instanceof AppSyncError && /cannot be read as JSON/.test(error.message), `${what}: ${String(error)}`);
    }
    checkSame(await c.readQuery(doc), expected, 'nothing was written by the failed writes');
    // Nested deeper than JSON text may be (128 levels), the write fails whole, as for text.
    for (const [levels, message] of [
      [130, /recursion limit/],
      [300, /nested more than 256 levels/],
    ] as const) {
      let deep: unknown = 1;
      for (let i = 0; i < levels; i++) deep = [deep];
      const tooDeep = await rejection(c.writeQuery(doc, { todo: { __typename: 'Todo', id: 't-1', name: 'deep', meta: deep, owner: null } }));
      check(tooDeep instanceof AppSyncError && message.test(tooDeep.message), `${levels} deep: ${String(tooDeep)}`);
      checkSame(await c.readQuery(doc), expected, `nothing was written by the write ${levels} deep`);
    }
    // A lone surrogate crosses into wasm as U+FFFD, as every string does (as JSON text it was
    // the escape \ud800, which the core's JSON parser refuses: the write used to fail whole).
    const lone = { todo: { __typename: 'Todo', id: 't-2', name: 'a\ud800b', meta: { 'k\udc00': 'x' }, owner: null } };
    checkSame(await c.writeQuery(doc, lone), [], 'the lone surrogate write');
    checkSame(await c.readQuery(doc), { todo: { __typename: 'Todo', id: 't-2', name: 'a\ufffdb', meta: { 'k\ufffd': 'x' }, owner: null } }, 'lone surrogates read back as U+FFFD');
    c.close();
  });

  scenario('close() releases a client: later calls fail with an Error, closing again is harmless', async () => {
    const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
    const { get } = fixture;
    checkSame((await c.query({ query: get.document, variables: get.variables })).data, get.expect, 'getTodo before close');
    // A running watch and subscription end with the client: the `for await` finishes.
    const watch = c.watchQuery({ query: get.document, variables: get.variables });
    const first = await withTimeout(watch.next(), 10000, "the watch's first result");
    check(first.done !== true, 'the watch yields before close');
    const sub = c.subscribe({ query: fixture.subscription.document, variables: fixture.subscription.variables }, () => {});
    // Data JSON.stringify makes nothing of (a function) is read as null, never a raw TypeError.
    const garbage = await c.writeQuery({ query: get.document, variables: get.variables }, (() => 1) as unknown as JsonObject).then(
      (warnings) => warnings,
      (error: unknown) => error,
    );
    check(Array.isArray(garbage) || garbage instanceof AppSyncError, `writeQuery of a function: ${String(garbage)}`);
    c.close();
    const after = await withTimeout(watch.next(), 10000, 'the watch to end on close');
    check(after.done === true, 'a watch ends when its client closes');
    sub.unsubscribe();
    const closed = (error: unknown, what: string): void => {
      check(error instanceof Error && /closed/.test(error.message), `${what}: expected the closed-client Error, got ${String(error)}`);
    };
    closed(await rejection(c.query({ query: get.document, variables: get.variables })), 'query');
    closed(await rejection(c.readQuery({ query: get.document, variables: get.variables })), 'readQuery');
    let thrown: unknown = null;
    try {
      c.setNetworkOnline(true);
    } catch (error) {
      thrown = error;
    }
    closed(thrown, 'setNetworkOnline');
    c.close();
    // Its connectivity listeners are gone: the page's events reach no freed wasm object.
    globalThis.dispatchEvent(new Event('offline'));
    globalThis.dispatchEvent(new Event('online'));
    // The other clients go on.
    checkSame((await theClient().query({ query: get.document, variables: get.variables })).data, get.expect, 'getTodo on another client');
  });


  scenario('the wasm module itself stops delivering after unsubscribe()', async () => {
    await initRaw();
    const raw = new WasmClient(configText, 'amplify_outputs.json', providers, {});
    const f = fixtureFor(`${prefix}raw-`);
    const sub = f.subscription;
    const log = new EventLog<{ type: string; data?: JsonObject }>();
    const request = { query: sub.document, variables: sub.variables };
    const handle = raw.subscribe(request, (e) => log.push(e as { type: string; data?: JsonObject }));
    const witnessLog = new EventLog<{ type: string; data?: JsonObject }>();
    const witnessHandle = raw.subscribe(request, (e) => witnessLog.push(e as { type: string; data?: JsonObject }));
    try {
      await log.wait((e) => e.type === 'started', 'started');
      await witnessLog.wait((e) => e.type === 'started', 'the witness started');
      await raw.mutate({ query: sub.trigger.document, variables: sub.trigger.variables }, null);
      await log.wait((e) => e.type === 'data', 'the trigger event');
      handle.unsubscribe();
      const seen = log.events.length;
      await raw.mutate({ query: sub.afterCancel.document, variables: sub.afterCancel.variables }, null);
      const id = JSON.stringify(inputId(sub.afterCancel));
      await witnessLog.wait((e) => e.type === 'data' && JSON.stringify(e.data).includes(id), 'the witness to see the afterCancel event');
      await sleep(1000);
      check(log.events.length === seen, `events after unsubscribe: ${JSON.stringify(log.events.slice(seen))}`);
    } finally {
      handle.unsubscribe();
      witnessHandle.unsubscribe();
    }
  });


  // ---- the normalized cache (the shared `cache` scenario), persisted in IndexedDB ----
  const cs = fixture.cache;
  const cacheOptions = { keyPrefix: cs.keyPrefix };
  const cacheQuery = { query: cs.query.document, variables: cs.query.variables };
  const isResult = (r: WatchResult): r is { type: 'result'; data: JsonObject | null; errors: [] } => r.type === 'result';
  const showing = (expected: JsonObject) => (r: WatchResult): boolean => isResult(r) && same(r.data, expected);

  const cacheScenarios: [string, () => Promise<void>][] = [
    [
      'watchQuery (callback) follows the server, a fragment write and the cache; reads agree',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, cacheOptions);
        await c.hydrated();
        await (await c.mutate({ query: cs.create.document, variables: cs.create.variables })).response();
        await c.query({ ...cacheQuery, fetchPolicy: 'network-only' });
        const log = new EventLog<WatchResult>();
        const handle = c.watchQuery({ ...cacheQuery, fetchPolicy: 'cache-only' }, log.push);
        try {
          await log.wait(showing(cs.expectCreated), 'the cached result');
          await (await c.mutate({ query: cs.update.document, variables: cs.update.variables })).response();
          await log.wait(showing(cs.expectUpdated), "the server's update");
          await c.writeFragment({ fragment: cs.fragment.document, key: cs.fragment.key, data: cs.fragment.data });
          await log.wait(showing(cs.expectWritten), 'the fragment write');
        } finally {
          handle.unsubscribe();
        }
        checkSame(await c.readQuery(cacheQuery), cs.expectWritten, 'readQuery');
        checkSame(
          await c.readFragment({ fragment: cs.fragment.document, key: cs.fragment.key }),
          cs.expectFragment,
          'readFragment',
        );
        const local = { query: cs.query.document, variables: cs.writeQuery.variables };
        checkSame(await c.writeQuery(local, cs.writeQuery.data), [], 'writeQuery warnings');
        checkSame(await c.readQuery(local), cs.writeQuery.data, 'readQuery after writeQuery');
      },
    ],
    [
      'watchQuery (async iterator) yields the cached result; leaving the loop stops it',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, cacheOptions);
        const watch = c.watchQuery(cacheQuery);
        for await (const result of watch) {
          if (isResult(result) && same(result.data, cs.expectWritten)) break;
        }
        const after = await watch.next();
        check(after.done === true, 'the iteration is over after break');
      },
    ],
    [
      "evict makes a cache-only query a GraphQLResponseError of type CacheMiss; 'network-only' refills it",
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, cacheOptions);
        await c.evict(cs.evictKey);
        checkSame(await c.readQuery(cacheQuery), null, 'readQuery after evict');
        const miss = await rejection(c.query({ ...cacheQuery, fetchPolicy: 'cache-only' }));
        checkError(miss, GraphQLResponseError, 'GRAPHQL');
        checkSame((miss as GraphQLResponseError).errors[0]?.errorType, cs.expectMissType, 'errorType');
        await c.query({ ...cacheQuery, fetchPolicy: 'network-only' });
        checkSame(await c.readQuery(cacheQuery), cs.expectUpdated, 'readQuery after the refill');
      },
    ],
    [
      'a cache-first watch over a whole cached result asks no network; cache-and-network does',
      async () => {
        // In memory, holding data the server does not have (it has `expectUpdated` by now).
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { disableOffline: true });
        checkSame(await c.writeQuery(cacheQuery, cs.expectWritten), [], 'writeQuery warnings');
        const cacheFirst = new EventLog<WatchResult>();
        const first = c.watchQuery({ ...cacheQuery, fetchPolicy: 'cache-first' }, cacheFirst.push);
        try {
          await cacheFirst.wait(showing(cs.expectWritten), 'the cached result');
          // A fetch would have written the server's data over it by now (the mock answers in
          // about a millisecond).
          await new Promise((resolve) => setTimeout(resolve, 300));
          checkSame(cacheFirst.events.length, 1, 'results of the cache-first watch');
          checkSame(await c.readQuery(cacheQuery), cs.expectWritten, 'the cache after the cache-first watch');
          const both = new EventLog<WatchResult>();
          const second = c.watchQuery({ ...cacheQuery, fetchPolicy: 'cache-and-network' }, both.push);
          try {
            await both.wait(showing(cs.expectWritten), 'the cached result first');
            await both.wait(showing(cs.expectUpdated), "then the server's");
          } finally {
            second.unsubscribe();
          }
        } finally {
          first.unsubscribe();
          c.close();
        }
      },
    ],
    [
      'bad cache input is a typed error: an unknown fetchPolicy, a fragment without key, a too-new database',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, cacheOptions);
        const badPolicy = { ...cacheQuery, fetchPolicy: 'sometimes' } as unknown as GraphQLRequest;
        checkError(await rejection(c.query(badPolicy)), InvalidDocumentError, 'INVALID_DOCUMENT');
        const noKey = { fragment: cs.fragment.document } as unknown as { fragment: string; key: string };
        checkError(await rejection(c.readFragment(noKey)), InvalidDocumentError, 'INVALID_DOCUMENT');
        // A database a newer SDK wrote (a higher schema version) is refused, not damaged.
        const name = `${prefix}too-new`;
        await new Promise<void>((resolve, reject) => {
          const open = indexedDB.open(name, 999);
          open.onsuccess = () => {
            open.result.close();
            resolve();
          };
          open.onerror = () => reject(open.error);
        });
        const newer = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { databaseName: name });
        const error = await rejection(newer.hydrated());
        checkError(error, CacheError, 'CACHE');
        await newer.query({ query: fixture.authModes.document });
      },
    ],
  ];
  // ---- the offline mutation queue (the shared `outbox` scenario), persisted in IndexedDB ----
  const ob = fixture.outbox;
  const reloadMutation = `${prefix}reload-mutation`;
  const reloadCreate = {
    query: ob.create.document,
    variables: { input: { id: `${prefix}reload-1`, name: 'queued before the reload' } },
  };
  cacheScenarios.push(
    [
      'outbox: offline changes show at once, drain in order, park, discard, and a JS resolver settles a conflict',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { keyPrefix: `${prefix}outbox` });
        const events = new EventLog<OutboxEvent>();
        const watching = c.outboxEvents(events.push);
        try {
          c.setNetworkOnline(false);
          // `mutate` queues (offline support is on by default): the handle resolves at once.
          const pending = await c.mutate({ query: ob.create.document, variables: ob.create.variables, optimisticResponse: ob.create.optimistic });
          const created = pending.id;
          const updated = await c.enqueue({ query: ob.update.document, variables: ob.update.variables, optimisticResponse: ob.update.optimistic });
          checkSame(await c.readFragment({ fragment: ob.fragment.document, key: ob.fragment.key }), ob.expectShown, 'optimistic, at once');
          checkSame((await c.outboxEntries()).length, 2, 'queued');
          c.setNetworkOnline(true);
          for (const id of [created, updated]) {
            const outcome = await c.mutationOutcome(id);
            check(outcome.type === 'succeeded', `${id}: ${JSON.stringify(outcome)}`);
          }
          const answer = await pending.response();
          check(answer?.data?.['createTodo'] !== undefined, `the server's answer through the handle: ${JSON.stringify(answer)}`);
          const onServer = await c.query({ query: ob.get.document, variables: ob.get.variables, fetchPolicy: 'network-only' });
          checkSame(onServer.data, ob.expectServer, 'on the server');

          const rejection = await c.mutate({ query: ob.rejected.document, variables: ob.rejected.variables });
          const rejected = rejection.id;
          check(
            (await rejection.response().then(() => undefined, (error: unknown) => error)) instanceof GraphQLResponseError,
            "a parked mutation's response() rejects with what parked it",
          );
          const parked = await c.mutationOutcome(rejected);
          check(parked.type === 'parked' && parked.reason === 'REJECTED' && parked.code === 'GRAPHQL', JSON.stringify(parked));
          check(parked.type === 'parked' && parked.error instanceof GraphQLResponseError, 'the parked error is a GraphQLResponseError');
          const entries = await c.outboxEntries();
          check(entries.length === 1 && entries[0]?.parked?.reason === 'REJECTED', JSON.stringify(entries));
          await c.discardMutation(rejected);
          checkSame(await c.outboxEntries(), [], 'nothing left after discard');

          const seen: Conflict[] = [];
          c.setConflictResolver(async (conflict) => {
            seen.push(conflict);
            return { type: 'discard' };
          });
          const conflicted = await c.enqueue({ query: ob.conflict.document, variables: ob.conflict.variables });
          checkSame(await c.mutationOutcome(conflicted), { type: 'discarded' }, 'the conflict outcome');
          checkSame(seen.length, 1, 'the resolver was asked once');
          checkSame(seen[0]?.errorType, ob.expectConflictType, 'errorType');
          checkSame(seen[0]?.serverData?.['name'], 'edited offline', "the server's item");
          await events.wait((e) => e.type === 'network' && !e.online, 'the offline event');
          check(events.events.filter((e) => e.type === 'done').length === 5, JSON.stringify(events.events));
        } finally {
          watching.unsubscribe();
        }
      },
    ],
    [
      'outbox: a mutation queued offline waits in IndexedDB for the page reload',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { keyPrefix: `${prefix}reload` });
        c.setNetworkOnline(false);
        await c.enqueue({ ...reloadCreate, mutationId: reloadMutation });
        checkSame((await c.outboxEntries()).map((e) => e.id), [reloadMutation], 'queued');
        const bad = await rejection(c.enqueue({ query: 'query { listTodos { items { id } } }' }));
        checkError(bad, InvalidDocumentError, 'INVALID_DOCUMENT');
      },
    ],
  );

  const setFaults = async (faults: JsonObject | null): Promise<void> => {
    const response = await fetch(`${base}/__mock/faults`, {
      method: faults === null ? 'DELETE' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: faults === null ? null : JSON.stringify(faults),
    });
    check(response.ok, `${faults === null ? 'DELETE' : 'POST'} /__mock/faults answered ${response.status}`);
  };
  const ou = fixture.outboxUpdate;
  const of = fixture.outboxFaults;
  cacheScenarios.push(
    [
      'outbox: a JS update function keeps a cached list in step, optimistically and then for real',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { keyPrefix: `${prefix}update` });
        const list = { query: ou.list.document, variables: ou.list.variables };
        await c.writeQuery(list, ou.seed);
        const passes: boolean[] = [];
        let kept: MutationCache | undefined;
        // Idempotent: drop any item with the new id, then append it.
        const update: MutationUpdate = async (cache, data) => {
          passes.push(cache.isOptimistic);
          kept = cache;
          const current = await cache.readQuery<{ listTodos: { items: JsonObject[] } }>(list);
          const item = data['createTodo'] as JsonObject;
          if (current === null) return;
          const items = current.listTodos.items.filter((i) => i['id'] !== item['id']);
          items.push({ __typename: 'Todo', id: item['id'] ?? null, name: item['name'] ?? null });
          await cache.writeQuery(list, { listTodos: { ...current.listTodos, items } });
        };
        const items = async (): Promise<unknown> => (await c.readQuery<{ listTodos: { items: JsonValue[] } }>(list))?.listTodos.items;
        c.setNetworkOnline(false);
        const pending = await c.mutate({ query: ou.create.document, variables: ou.create.variables, optimisticResponse: ou.create.optimistic, update });
        checkSame(await items(), ou.expectItems, 'shown at once');
        checkSame(passes, [true], 'the optimistic pass');
        c.setNetworkOnline(true);
        check((await pending.response()) !== null, 'the server answered');
        checkSame(await items(), ou.expectItems, 'held once, by the cache itself');
        checkSame(passes, ou.expectPasses, 'both passes');
        check(kept !== undefined, 'the update function ran');
        checkError(await rejection(kept.writeQuery(list, ou.seed)), CacheError, ou.expectLateWriteCode);
        const bad = { query: ou.create.document, variables: ou.create.variables, update: 'not a function' } as unknown as Parameters<typeof c.mutate>[0];
        checkError(await rejection(c.mutate(bad)), InvalidDocumentError, 'INVALID_DOCUMENT');
      },
    ],
    [
      'outbox: faults from the mock are retried until each mutation goes through; a 401 refreshes the token',
      async () => {
        const asked: boolean[] = [];
        const refreshing: AuthProviders = {
          ...providers,
          userPools: async (forceRefresh) => {
            asked.push(forceRefresh);
            return mintToken('userPools');
          },
        };
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', refreshing, {
          keyPrefix: `${prefix}faults`,
          ...of.options,
        });
        const events = new EventLog<OutboxEvent>();
        const watching = c.outboxEvents(events.push);
        try {
          for (const step of of.steps) {
            await setFaults(step.faults);
            const pending = await c.mutate({ query: step.create.document, variables: step.create.variables });
            const answer = await pending.response();
            await setFaults(null);
            check(answer !== null, `${step.name}: the server answered`);
            await events.wait((e) => e.type === 'done' && e.id === pending.id, `${step.name}: done`);
            const retries = events.events.filter((e) => e.type === 'retrying' && e.id === pending.id);
            const minRetries = step.browserMinRetries ?? step.minRetries;
            check(
              retries.length >= minRetries && retries.length <= step.maxRetries,
              `${step.name}: ${retries.length} retries, expected ${minRetries} to ${step.maxRetries}: ${JSON.stringify(retries)}`,
            );
            for (const retry of retries) {
              if (retry.type !== 'retrying') continue;
              checkSame(retry.code, step.code, `${step.name}: the retry's code`);
              check(retry.delayMs >= (step.minDelayMs ?? 0), `${step.name}: waited ${retry.delayMs} ms`);
            }
          }
          for (const step of of.steps) {
            const got = await c.query({ query: of.get.document, variables: { id: inputId(step.create) ?? null }, fetchPolicy: 'network-only' });
            checkSame((got.data?.['getTodo'] as JsonObject | null)?.['_version'], 1, `${step.name}: applied once`);
          }
          await setFaults(of.refresh.faults);
          const pending = await c.mutate({ query: of.refresh.create.document, variables: of.refresh.create.variables, authMode: of.refresh.authMode });
          check((await pending.response()) !== null, 'the server answered after the refresh');
          check(asked.length >= 2 && asked.includes(true), `asked again with forceRefresh: ${JSON.stringify(asked)}`);
        } finally {
          watching.unsubscribe();
          await setFaults(null);
        }
      },
    ],
    [
      'outbox options that cannot work are a ConfigError',
      async () => {
        checkError(
          await rejection(AppSyncClient.create(configText, 'amplify_outputs.json', providers, { retryBaseMs: 0 })),
          ConfigError,
          'CONFIG',
        );
        const wrongType = { leaseTtlMs: 'soon' } as unknown as { leaseTtlMs: number };
        checkError(await rejection(AppSyncClient.create(configText, 'amplify_outputs.json', providers, wrongType)), InvalidDocumentError, 'INVALID_DOCUMENT');
      },
    ],
  );

  const reloadScenarios: [string, () => Promise<void>][] = [
    [
      'after a page reload, the mutation queued before it is sent and succeeds',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { keyPrefix: `${prefix}reload` });
        const entries = await c.outboxEntries();
        checkSame(entries.map((e) => e.id), [reloadMutation], 'still queued after the reload');
        const outcome = await c.mutationOutcome(reloadMutation);
        check(outcome.type === 'succeeded', JSON.stringify(outcome));
        const onServer = await c.query({
          query: 'query Get($id: ID!) { getTodo(id: $id) { id name } }',
          variables: { id: `${prefix}reload-1` },
          fetchPolicy: 'network-only',
        });
        checkSame(
          (onServer.data?.['getTodo'] as JsonObject | null)?.['name'],
          'queued before the reload',
          'on the server',
        );
      },
    ],
    [
      'after a page reload, a client with the endpoint unreachable answers cache-only from IndexedDB',
      async () => {
        const c = await AppSyncClient.create(withUrl(cs.offlineEndpoint), 'amplify_outputs.json', providers, cacheOptions);
        await c.hydrated();
        const cached = await c.query({ ...cacheQuery, fetchPolicy: 'cache-only' });
        checkSame(cached.data, cs.expectUpdated, 'cache-only data');
        checkError(await rejection(c.query(cacheQuery)), NetworkError, 'NETWORK');
      },
    ],
    [
      'after a page reload, another keyPrefix sees nothing',
      async () => {
        const c = await AppSyncClient.create(configText, 'amplify_outputs.json', providers, { keyPrefix: `${prefix}other` });
        checkSame(await c.readQuery(cacheQuery), null, 'readQuery under another prefix');
      },
    ],
  ];
  if (reloaded) scenarios.splice(0, scenarios.length, ...reloadScenarios);
  else scenarios.push(...cacheScenarios);

  const { passed, failed } = await runScenarios(scenarios);
  window.__done = reloaded ? { passed, failed } : { passed, failed, reloadWith: prefix };
}

/**
 * One of two tabs sharing one IndexedDB outbox (the same database and keyPrefix). Each queues a
 * create and an update of its own item while offline; then both go online together. The drain
 * lease lets one tab send at a time: the runner checks that every mutation was sent exactly once,
 * in the store's order, and that each tab learned its own outcomes, including those the other
 * tab sent for it.
 */
async function tabPhase(tab: string, prefix: string, base: string): Promise<void> {
  const configText = await (await fetch(`${base}/__mock/config`)).text();
  const c = await AppSyncClient.create(configText, 'amplify_outputs.json', {}, { keyPrefix: `${prefix}tabs`, leaseTtlMs: 2000 });
  const events = new EventLog<OutboxEvent>();
  c.outboxEvents(events.push);
  c.setNetworkOnline(false);
  const id = `${prefix}tab-${tab}`;
  const queued: string[] = [];
  window.__tab = {
    enqueue: async () => {
      queued.push(
        await c.enqueue({
          query: 'mutation C($input: CreateTodoInput!) { createTodo(input: $input) { id name _version } }',
          variables: { input: { id, name: `tab ${tab}` } },
          mutationId: `${id}-create`,
        }),
        await c.enqueue({
          query: 'mutation U($input: UpdateTodoInput!) { updateTodo(input: $input) { id name _version } }',
          variables: { input: { id, name: `tab ${tab}, edited`, _version: 1 } },
          mutationId: `${id}-update`,
        }),
      );
      return queued;
    },
    online: async () => {
      c.setNetworkOnline(true);
      const outcomes = await Promise.all(queued.map(async (q) => (await c.mutationOutcome(q)).type));
      await sleep(200); // the last events reach the log
      const sent = events.events.flatMap((e) => (e.type === 'sending' ? [e.id] : []));
      const got = await c.query({ query: 'query G($id: ID!) { getTodo(id: $id) { id _version } }', variables: { id }, fetchPolicy: 'network-only' });
      const version = (got.data?.['getTodo'] as JsonObject | null)?.['_version'] ?? null;
      return { queued, outcomes, sent, version };
    },
  };
}

main().catch(async (error: unknown) => {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await window.__report?.({ name: 'the suite could not start', ok: false, detail, ms: 0 });
  window.__done = { passed: 0, failed: 1 };
});
