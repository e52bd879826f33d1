// A running subscription as the app sees it: events pushed to a callback, or pulled with
// `for await` (an async iterator whose `return()` cancels). Either way `unsubscribe()` stops it,
// and no event is delivered after it returns.
import { AppSyncError, NetworkError, toAppSyncError } from './errors.js';
import type { JsonObject, SubscriptionEvent } from './types.js';

/** What the wasm module hands back from `subscribe`. */
export interface Cancellable {
  unsubscribe(): void;
  free(): void;
}

/** A callback subscription: `unsubscribe` stops it (safe to call more than once, or detached). */
export interface SubscriptionHandle {
  readonly unsubscribe: () => void;
}

function isTerminal(event: { type: string }): boolean {
  return event.type === 'completed' || event.type === 'failed';
}

/** Reads one event from the wasm module (a `failed` event's error becomes an `AppSyncError`). */
function toEvent<TData>(raw: unknown): SubscriptionEvent<TData> {
  const event = raw as SubscriptionEvent<TData> | { type: 'failed'; error: unknown };
  if (event.type === 'failed') {
    const error = toAppSyncError(event.error);
    return {
      type: 'failed',
      error: error instanceof AppSyncError ? error : new NetworkError(String(error)),
    };
  }
  return event;
}

/**
 * The events of one subscription. Iterate it with `for await`; leaving the loop (`break`,
 * `return`, a throw) cancels the subscription. `completed` and `failed` are yielded, then the
 * iteration ends.
 */
export class Subscription<TData = JsonObject>
  implements SubscriptionHandle, AsyncIterableIterator<SubscriptionEvent<TData>, undefined, undefined>
{
  #handle: Cancellable | undefined;
  #listener: ((event: SubscriptionEvent<TData>) => void) | undefined;
  #queue: SubscriptionEvent<TData>[] = [];
  #waiting: ((result: IteratorResult<SubscriptionEvent<TData>, undefined>) => void)[] = [];
  #ended = false;

  /** @internal Built by `AppSyncClient.subscribe`. */
  constructor(
    start: (onEvent: (raw: unknown) => void) => Cancellable,
    listener?: (event: SubscriptionEvent<TData>) => void,
  ) {
    this.#listener = listener;
    this.#handle = start((raw) => this.#push(toEvent<TData>(raw)));
  }

  /** Stops the subscription; no event is delivered after this returns. */
  readonly unsubscribe = (): void => {
    this.#end();
    this.#queue = [];
  };

  next(): Promise<IteratorResult<SubscriptionEvent<TData>, undefined>> {
    const event = this.#queue.shift();
    if (event !== undefined) return Promise.resolve({ done: false, value: event });
    if (this.#ended || this.#listener !== undefined) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<SubscriptionEvent<TData>, undefined>> {
    this.unsubscribe();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #push(event: SubscriptionEvent<TData>): void {
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
    if (isTerminal(event)) this.#end();
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
