// AWS's own client, Amplify JS v6, against appsync-mock with no changes on either side: the
// `appsync mock` binary writes amplify_outputs.json, Amplify.configure() reads it, and
// generateClient().graphql() talks to the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Amplify } from 'aws-amplify';
import { generateClient } from 'aws-amplify/api';

const bin = process.env.APPSYNC_BIN ?? resolve(import.meta.dirname, '../../target/debug/appsync');
let mock;
let dir;
let client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'amplify-js-compat-'));
  mock = spawn(bin, ['mock', '--port', '0', '--out-dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: mock.stdout });
  for await (const line of lines) {
    if (line.startsWith('Press Ctrl-C')) break;
  }
  const outputs = JSON.parse(readFileSync(join(dir, 'amplify_outputs.json'), 'utf8'));
  Amplify.configure(outputs);
  client = generateClient();
});

after(() => {
  mock?.kill();
  rmSync(dir, { recursive: true, force: true });
});

const createTodo = /* GraphQL */ `mutation CreateTodo($input: CreateTodoInput!) {
  createTodo(input: $input) { id name priority _version _deleted _lastChangedAt createdAt updatedAt }
}`;
const updateTodo = /* GraphQL */ `mutation UpdateTodo($input: UpdateTodoInput!) {
  updateTodo(input: $input) { id name priority _version }
}`;

test('creates, reads and lists with the default API key', async () => {
  const created = await client.graphql({ query: createTodo, variables: { input: { id: 'js-1', name: 'from Amplify', priority: 1 } } });
  assert.equal(created.data.createTodo.name, 'from Amplify');
  assert.equal(created.data.createTodo._version, 1);
  const got = await client.graphql({ query: 'query G { getTodo(id: "js-1") { id name } }' });
  assert.deepEqual(got.data.getTodo, { id: 'js-1', name: 'from Amplify' });
  const listed = await client.graphql({
    query: 'query L($f: ModelTodoFilterInput) { listTodos(filter: $f) { items { id } nextToken } }',
    variables: { f: { name: { beginsWith: 'from' } } },
  });
  assert.deepEqual(listed.data.listTodos.items.map((t) => t.id), ['js-1']);
});

test('conflict detection answers as AppSync: a stale update is automerged', async () => {
  await client.graphql({ query: createTodo, variables: { input: { id: 'js-2', name: 'v1', priority: 1 } } });
  await client.graphql({ query: updateTodo, variables: { input: { id: 'js-2', priority: 2, _version: 1 } } });
  const stale = await client.graphql({ query: updateTodo, variables: { input: { id: 'js-2', priority: 9, _version: 1 } } });
  assert.equal(stale.data.updateTodo.priority, 2);
  assert.equal(stale.data.updateTodo._version, 3);
});

test('sync queries work as DataStore issues them', async () => {
  const first = await client.graphql({
    query: 'query S($limit: Int, $lastSync: AWSTimestamp) { syncTodos(limit: $limit, lastSync: $lastSync) { items { id _version _deleted } nextToken startedAt } }',
    variables: { limit: 1 },
  });
  assert.equal(first.data.syncTodos.items.length, 1);
  assert.ok(first.data.syncTodos.nextToken);
  assert.ok(first.data.syncTodos.startedAt > 0);
});

test('field-level auth errors arrive with their errorType', async () => {
  await assert.rejects(
    client.graphql({ query: 'query Q { listTodos { items { id } } listSecrets { items { id } } }' }),
    (result) => {
      assert.equal(result.errors[0].errorType, 'Unauthorized');
      assert.ok(result.data.listTodos, 'partial data is kept');
      return true;
    },
  );
});

test('Lambda auth mode with an auth token, accepted and refused', async () => {
  const ok = await client.graphql({ query: 'query { listTodos { items { id } } }', authMode: 'lambda', authToken: 'mock-lambda-allow' });
  assert.ok(Array.isArray(ok.data.listTodos.items));
  await assert.rejects(
    client.graphql({ query: 'query { listTodos { items { id } } }', authMode: 'lambda', authToken: 'nope' }),
    (result) => {
      const error = result.errors?.[0] ?? result;
      assert.match(JSON.stringify(error), /Unauthorized/);
      return true;
    },
  );
});

test('Amplify JS subscriptions work over the mock realtime endpoint (wss, subprotocol auth)', async () => {
  const tlsDir = mkdtempSync(join(tmpdir(), 'amplify-js-tls-'));
  const tlsMock = spawn(bin, ['mock', '--port', '0', '--tls', '--out-dir', tlsDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    for await (const line of createInterface({ input: tlsMock.stdout })) {
      if (line.startsWith('Press Ctrl-C')) break;
    }
    for (const mode of ['apiKey', 'lambda']) {
      const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', join(import.meta.dirname, 'subscriber.mjs'), join(tlsDir, 'amplify_outputs.json'), mode], {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tlsDir, 'appsync-mock-cert.pem') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const code = await new Promise((done) => child.on('exit', done));
      assert.equal(code, 0, `subscriber (${mode}) failed: ${err}`);
      const event = JSON.parse(out.trim().split('\n').pop());
      assert.equal(event.onCreateTodo.name, `via amplify realtime (${mode})`);
    }
  } finally {
    tlsMock.kill();
    rmSync(tlsDir, { recursive: true, force: true });
  }
});
