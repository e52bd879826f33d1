// The IndexedDB side of the client's persistent store (the Rust `Store` in src/store.rs calls it).
// One database with the object stores `records`, `outbox` and `meta`, every key led by the
// namespace (the client's keyPrefix). Records and meta rows are `{ns, key, value}` keyed by
// `[ns, key]`; outbox rows are `{seq, ns, id, payload}` keyed by a generated `seq`, with the
// indexes `ns_id` (unique) and `ns_seq`. Values are `Uint8Array`s. The schema is built by
// numbered steps with the numbers of the core's SQLite migrations (`SCHEMA_VERSION`, which the
// Rust side passes in). Failures reject with `{kind, message, found?}`, `kind` one of `Conflict`,
// `TooNew`, `Io`: the Rust side's `StoreError`s.

/** A rejection of this module: the Rust side reads it as a `StoreError`. */
export interface StoreFailure {
  kind: 'Conflict' | 'TooNew' | 'Io';
  message: string;
  found?: number;
}

/** One change of a batch: `[op, key or id, value or payload]`, `op` as in `Op`. */
export type Change = [op: number, key: string, value?: Uint8Array];

/** The ops of a `Change`, in the order of the Rust enum. */
const enum Op {
  PutRecord,
  DeleteRecord,
  OutboxPush,
  OutboxUpdate,
  OutboxRemove,
  PutMeta,
  DeleteMeta,
  /** Fails the batch unless meta `key` holds `value` (absent: no row) before the batch. */
  ExpectMeta,
}

const RECORDS = 'records';
const OUTBOX = 'outbox';
const META = 'meta';
const STORES = [RECORDS, OUTBOX, META];

/** `STEPS[n]` takes a database from version `n` to `n + 1`, as the SQLite migration `n` does. */
const STEPS: ((db: IDBDatabase, upgrade: IDBTransaction) => void)[] = [
  // 1: records, the outbox and metadata, each namespaced.
  (db) => {
    db.createObjectStore(RECORDS, { keyPath: ['ns', 'key'] });
    db.createObjectStore(OUTBOX, { keyPath: 'seq', autoIncrement: true }).createIndex('ns_id', ['ns', 'id'], {
      unique: true,
    });
    db.createObjectStore(META, { keyPath: ['ns', 'key'] });
  },
  // 2: reading one namespace's outbox in order is the outbox's hot path.
  (_, upgrade) => upgrade.objectStore(OUTBOX).createIndex('ns_seq', ['ns', 'seq']),
];

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean =>
  a === undefined || b === undefined ? a === b : a.length === b.length && a.every((byte, i) => byte === b[i]);

const failure = (kind: StoreFailure['kind'], message: string, found?: number): StoreFailure => ({ kind, message, found });

/** A failure while doing `what` as an `Io` failure (a `StoreFailure` passes as it is). */
const io = (what: string, error: unknown): StoreFailure =>
  (error as StoreFailure)?.kind ? (error as StoreFailure) : failure('Io', `IndexedDB ${what} failed: ${describe(error)}`);

const describe = (error: unknown): string => (error instanceof DOMException ? `${error.name}: ${error.message}` : String(error));

const aborted = (tx: IDBTransaction): StoreFailure =>
  failure('Io', `the IndexedDB transaction was aborted${tx.error ? `: ${describe(tx.error)}` : ''}`);

/** A request's result; its error as is. */
const done = <T>(request: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

/** Opens database `name` at `version`, creating or upgrading it; a newer database is `TooNew`. */
function openDatabase(name: string, version: number): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let upgradeFailure: StoreFailure | undefined;
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = (event) => {
      const upgrade = request.transaction as IDBTransaction;
      try {
        for (let step = event.oldVersion; step < version; step++) {
          const run = STEPS[step];
          if (!run) throw failure('Io', `this build has no IndexedDB upgrade step to version ${step + 1}`);
          run(request.result, upgrade);
        }
      } catch (error) {
        upgradeFailure = io('upgrade', error);
        // Aborting the upgrade leaves the database at its old version, untouched.
        upgrade.abort();
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      const error = request.error;
      if (error?.name !== 'VersionError') return reject(upgradeFailure ?? io('open', error));
      // Read the version it has without upgrading it.
      done(indexedDB.open(name)).then((db) => {
        db.close();
        reject(failure('TooNew', 'the database is newer than this SDK', db.version));
      }, (e: unknown) => reject(io('open', e)));
    };
  });
}

/** One client's namespace of an open database. */
export class IdbStore {
  readonly #db: IDBDatabase;
  readonly #ns: string;
  /** Every key of the namespace: `[ns]` sorts before `[ns, x]`, and `[ns, []]` after. */
  readonly #all: IDBKeyRange;

  constructor(db: IDBDatabase, ns: string) {
    this.#db = db;
    this.#ns = ns;
    this.#all = IDBKeyRange.bound([ns], [ns, []]);
  }

  /** A readonly transaction's store. */
  #read(store: string): IDBObjectStore {
    return this.#db.transaction(store).objectStore(store);
  }

  /** The values of `keys`, in order (`undefined` where absent). */
  async getRecords(keys: string[]): Promise<(Uint8Array | undefined)[]> {
    try {
      const records = this.#read(RECORDS);
      const rows = await Promise.all(keys.map((key) => done(records.get([this.#ns, key]))));
      return rows.map((row) => row?.value);
    } catch (error) {
      throw io('get', error);
    }
  }

  /** Every record key of the namespace (unsorted). */
  async recordKeys(): Promise<string[]> {
    try {
      const keys = await done(this.#read(RECORDS).getAllKeys(this.#all));
      return keys.map((key) => (key as string[])[1] as string);
    } catch (error) {
      throw io('get all keys', error);
    }
  }

  /** The outbox rows `{seq, ns, id, payload}` in order. */
  async outbox(): Promise<unknown[]> {
    try {
      return await done(this.#read(OUTBOX).index('ns_seq').getAll(this.#all));
    } catch (error) {
      throw io('get all', error);
    }
  }

  async getMeta(key: string): Promise<Uint8Array | undefined> {
    try {
      return (await done(this.#read(META).get([this.#ns, key])))?.value;
    } catch (error) {
      throw io('get', error);
    }
  }

  /**
   * Applies every change in one readwrite transaction: reads the queued outbox entries the batch
   * touches, checks the batch against them (a pushed id must not be queued, an updated or removed
   * one must be, in order), then issues every write. Any failure aborts the transaction, so
   * nothing is written. Inside it nothing is awaited but its own requests (IndexedDB commits a
   * transaction as soon as no request of it is pending).
   */
  apply(changes: Change[]): Promise<void> {
    return changes.length ? this.#write((tx) => this.#changes(tx, changes)) : Promise.resolve();
  }

  /** Deletes the namespace from every store. */
  clear(): Promise<void> {
    return this.#write(async (tx) => {
      tx.objectStore(RECORDS).delete(this.#all);
      tx.objectStore(META).delete(this.#all);
      const outbox = tx.objectStore(OUTBOX);
      for (const seq of await done(outbox.index('ns_seq').getAllKeys(this.#all))) outbox.delete(seq);
    });
  }

  /** Closes the connection (a later call fails with `Io`). */
  close(): void {
    this.#db.close();
  }

  /** Runs `write` in a readwrite transaction over every store and waits for its end. */
  async #write(write: (tx: IDBTransaction) => Promise<void>): Promise<void> {
    let tx: IDBTransaction;
    try {
      tx = this.#db.transaction(STORES, 'readwrite');
    } catch (error) {
      throw io('transaction', error);
    }
    const ended = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(aborted(tx));
    });
    ended.catch(() => undefined); // handled below, whenever it ends
    try {
      await write(tx);
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already aborting: a request failed.
      }
      await ended.catch(() => undefined);
      // A conflict found before writing, else the failure that aborted the transaction.
      throw (error as StoreFailure)?.kind === 'Conflict' || !tx.error ? io('write', error) : aborted(tx);
    }
    await ended;
  }

  async #changes(tx: IDBTransaction, changes: Change[]): Promise<void> {
    const ns = this.#ns;
    const records = tx.objectStore(RECORDS);
    const outbox = tx.objectStore(OUTBOX);
    const meta = tx.objectStore(META);
    // The queued entries among the ids the batch touches: their seqs.
    const ids = [...new Set(changes.filter(([op]) => op >= Op.OutboxPush && op <= Op.OutboxRemove).map(([, id]) => id))];
    const byId = outbox.index('ns_id');
    // The batch's expectations on meta, read in the same transaction before any write. Both
    // kinds of read are issued at once: one round trip, not two.
    const expected = changes.filter(([op]) => op === Op.ExpectMeta);
    const [found, rows] = await Promise.all([
      Promise.all(ids.map((id) => done(byId.getKey([ns, id])))),
      Promise.all(expected.map(([, key]) => done(meta.get([ns, key])))),
    ]);
    const seqs = new Map<string, IDBValidKey>();
    ids.forEach((id, i) => found[i] !== undefined && seqs.set(id, found[i] as IDBValidKey));
    expected.forEach(([, key, value], i) => {
      const row = rows[i] as { value: Uint8Array } | undefined;
      if (!sameBytes(row?.value, value)) throw failure('Conflict', `meta \`${key}\` does not hold the expected value`);
    });
    // The batch's outbox rules, before any write.
    const queued = new Set(seqs.keys());
    for (const [op, id] of changes) {
      if (op === Op.OutboxPush) {
        if (queued.has(id)) throw failure('Conflict', `outbox id \`${id}\` is already queued`);
        queued.add(id);
      } else if (op === Op.OutboxUpdate || op === Op.OutboxRemove) {
        if (!queued.has(id)) throw failure('Conflict', `outbox id \`${id}\` is not queued`);
        if (op === Op.OutboxRemove) queued.delete(id);
      }
    }
    for (const [op, key, value] of changes) {
      switch (op) {
        case Op.PutRecord:
          records.put({ ns, key, value });
          break;
        case Op.DeleteRecord:
          records.delete([ns, key]);
          break;
        case Op.OutboxPush:
          // Awaited: a later change of the batch may need its seq.
          seqs.set(key, await done(outbox.add({ ns, id: key, payload: value })));
          break;
        case Op.OutboxUpdate:
          outbox.put({ seq: seqs.get(key), ns, id: key, payload: value });
          break;
        case Op.OutboxRemove:
          outbox.delete(seqs.get(key) as IDBValidKey);
          seqs.delete(key);
          break;
        case Op.PutMeta:
          meta.put({ ns, key, value });
          break;
        case Op.DeleteMeta:
          meta.delete([ns, key]);
          break;
      }
    }
  }
}

/**
 * Opens (creating or upgrading) database `name` at schema `version` for namespace `ns`. A
 * database written by a newer SDK is `TooNew` and left as it is; one without our stores is `Io`.
 */
export async function openStore(name: string, ns: string, version: number): Promise<IdbStore> {
  let db: IDBDatabase;
  try {
    db = await openDatabase(name, version);
  } catch (error) {
    throw io('open', error);
  }
  // Another tab's newer SDK upgrading the database: let it (this handle's later calls then fail).
  db.onversionchange = () => db.close();
  const missing = STORES.find((store) => !db.objectStoreNames.contains(store));
  if (missing) {
    db.close();
    throw failure('Io', `IndexedDB database \`${name}\` has no \`${missing}\` object store: it is not an AppSync store`);
  }
  return new IdbStore(db, ns);
}
