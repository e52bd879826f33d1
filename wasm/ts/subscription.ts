// A running subscription or watched query as the app sees it: events pushed to a callback, or
// pulled with `for await` (an async iterator whose `return()` cancels). Either way
// `unsubscribe()` stops it, and no event is delivered after it returns.
import { AppSyncError, NetworkError, toAppSyncError } from './errors.js';
import type { GraphQLError, JsonObject, MutationOutcome, OutboxEvent, SubscriptionEvent, WatchResult } from './types.js';

/** What the wasm module hands back from `subscribe`. */
export interface Cancellable {
  unsubscribe(): void;
  free(): void;
}

/** A callback subscription: `unsubscribe` stops it (safe to call more than once, or detached). */
export interface SubscriptionHandle {
  readonly unsubscribe: () => void;
}

function asAppSyncError(raw: unknown): AppSyncError {
  const error = toAppSyncError(raw);
  return error instanceof AppSyncError ? error : new NetworkError(String(error));
}

/** Reads one subscription event from the wasm module (a `failed` event's error becomes an `AppSyncError`). */
function toEvent<TData>(raw: unknown): [SubscriptionEvent<TData>, boolean] {
  const event = raw as SubscriptionEvent<TData> | { type: 'failed'; error: unknown };
  if (event.type === 'failed') return [{ type: 'failed', error: asAppSyncError(event.error) }, true];
  return [event, event.type === 'completed'];
}

/** Reads one watched-query result from the wasm module; an `error` marked `ended` is the last. */
function toWatchResult<TData>(raw: unknown): [WatchResult<TData>, boolean] {
  const result = raw as
    | { type: 'result'; data: TData | null; errors: GraphQLError[] }
    | { type: 'error'; error: unknown; ended?: boolean };
  if (result.type === 'error') return [{ type: 'error', error: asAppSyncError(result.error) }, result.ended === true];
  return [{ type: 'result', data: result.data, errors: result.errors }, false];
}

/**
 * A stream of events from the wasm module, pushed to a listener or pulled with `for await`;
 * leaving the loop (`break`, `return`, a throw) cancels it. The last event (if the stream ends by
 * itself) is yielded, then the iteration ends.
 */
class EventStream<E> implements SubscriptionHandle, AsyncIterableIterator<E, undefined, undefined> {
  #handle: Cancellable | undefined;
  #listener: ((event: E) => void) | undefined;
  #queue: E[] = [];
  #waiting: ((result: IteratorResult<E, undefined>) => void)[] = [];
  #ended = false;

  constructor(
    start: (onEvent: (raw: unknown) => void) => Cancellable,
    read: (raw: unknown) => [E, boolean],
    listener?: (event: E) => void,
  ) {
    this.#listener = listener;
    this.#handle = start((raw) => {
      const [event, last] = read(raw);
      this.#push(event, last);
    });
  }

  /** Stops the subscription; no event is delivered after this returns. */
  readonly unsubscribe = (): void => {
    this.#end();
    this.#queue = [];
  };

  next(): Promise<IteratorResult<E, undefined>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#ended || this.#listener !== undefined) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<E, undefined>> {
    this.unsubscribe();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #push(event: E, last: boolean): void {
    if (this.#ended) return;
    if (this.#listener !== undefined) {
      try {
        this.#listener(event);
      } catch (error) {
        // The app's callback threw: report it as an uncaught error, keep the subscription.
        queueMicrotask(() => {
          throw error;
        });
      }
    } else {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter({ done: false, value: event });
      else this.#queue.push(event);
    }
    // The last event is delivered first, then the iteration ends after it.
    if (last) this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const handle = this.#handle;
    this.#handle = undefined;
    if (handle !== undefined) {
      handle.unsubscribe();
      handle.free();
    }
    for (const waiter of this.#waiting.splice(0)) waiter({ done: true, value: undefined });
  }
}

/**
 * The events of one subscription. Iterate it with `for await`; leaving the loop cancels the
 * subscription. `completed` and `failed` are yielded, then the iteration ends.
 */
export class Subscription<TData = JsonObject> extends EventStream<SubscriptionEvent<TData>> {
  /** @internal Built by `AppSyncClient.subscribe`. */
  constructor(
    start: (onEvent: (raw: unknown) => void) => Cancellable,
    listener?: (event: SubscriptionEvent<TData>) => void,
  ) {
    super(start, toEvent<TData>, listener);
  }
}

/**
 * The results of a watched query: the cached result, then a new one whenever a record it reads
 * changes. Iterate it with `for await` (leaving the loop stops the watch) or pass a callback.
 */
export class WatchedQuery<TData = JsonObject> extends EventStream<WatchResult<TData>> {
  /** @internal Built by `AppSyncClient.watchQuery`. */
  constructor(
    start: (onEvent: (raw: unknown) => void) => Cancellable,
    listener?: (result: WatchResult<TData>) => void,
  ) {
    super(start, toWatchResult<TData>, listener);
  }
}

/** Reads a mutation outcome from the wasm module (a parked one's error becomes an `AppSyncError`). */
export function toOutcome<TData = JsonObject>(raw: unknown): MutationOutcome<TData> {
  const outcome = raw as MutationOutcome<TData> | { type: 'parked'; error: unknown };
  if (outcome.type === 'parked') {
    const parked = raw as { reason: 'REJECTED' | 'UNAUTHORIZED' | 'CONFLICT'; code: string; message: string; error: unknown };
    return { type: 'parked', reason: parked.reason, code: parked.code, message: parked.message, error: asAppSyncError(parked.error) };
  }
  return outcome;
}

function toOutboxEvent(raw: unknown): [OutboxEvent, boolean] {
  const event = raw as OutboxEvent;
  if (event.type === 'done') return [{ type: 'done', id: event.id, outcome: toOutcome(event.outcome) }, false];
  return [event, false];
}

/** The outbox's events: iterate with `for await` (leaving the loop stops it) or pass a callback. */
export class OutboxEvents extends EventStream<OutboxEvent> {
  /** @internal Built by `AppSyncClient.outboxEvents`. */
  constructor(start: (onEvent: (raw: unknown) => void) => Cancellable, listener?: (event: OutboxEvent) => void) {
    super(start, toOutboxEvent, listener);
  }
}
