// The SDK's errors as JS Error subclasses, each with `name` and the core's stable `code`, and the
// conversion from what the wasm module rejects with (a plain Error carrying `name`, `code` and the
// variant's fields) to instances of these classes.
import type { AuthMode, GraphQLError, JsonObject } from './types.js';

/** The core's `AppSyncError::code()`: the same on Kotlin, Swift and the web. */
export type ErrorCode =
  | 'CONFIG'
  | 'INVALID_DOCUMENT'
  | 'AUTH'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'UNAUTHORIZED'
  | 'HTTP'
  | 'GRAPHQL'
  | 'INVALID_RESPONSE'
  | 'CACHE';

/** Every error the client rejects with. */
export abstract class AppSyncError extends Error {
  abstract override readonly name: string;
  readonly code: ErrorCode;
  protected constructor(message: string, code: ErrorCode) {
    super(message);
    this.code = code;
  }
}

/** The config file (or a constructor argument) cannot be used. */
export class ConfigError extends AppSyncError {
  override readonly name = 'ConfigError';
  /** The file name given to `create` (or `providers`, `<arguments>`). */
  readonly sourceName: string;
  /** The dotted key path, e.g. `data.url` (empty for the whole file). */
  readonly key: string;
  readonly expected: string;
  readonly found: string;
  constructor(message: string, fields: { sourceName: string; key: string; expected: string; found: string }) {
    super(message, 'CONFIG');
    this.sourceName = fields.sourceName;
    this.key = fields.key;
    this.expected = fields.expected;
    this.found = fields.found;
  }
}

/** The document, its variables or the request's options were rejected before sending. */
export class InvalidDocumentError extends AppSyncError {
  override readonly name = 'InvalidDocumentError';
  constructor(message: string) {
    super(message, 'INVALID_DOCUMENT');
  }
}

/** No credential could be produced: a missing provider, or a provider that threw or resolved to the wrong shape. */
export class AuthError extends AppSyncError {
  override readonly name = 'AuthError';
  /** The auth mode that failed (`null` for the headers provider). */
  readonly authMode: AuthMode | null;
  constructor(message: string, authMode: AuthMode | null) {
    super(message, 'AUTH');
    this.authMode = authMode;
  }
}

/** The server could not be reached, or the connection broke. */
export class NetworkError extends AppSyncError {
  override readonly name = 'NetworkError';
  constructor(message: string) {
    super(message, 'NETWORK');
  }
}

/** No answer within the request's timeout. */
export class TimeoutError extends AppSyncError {
  override readonly name = 'TimeoutError';
  readonly afterMs: number;
  constructor(message: string, afterMs: number) {
    super(message, 'TIMEOUT');
    this.afterMs = afterMs;
  }
}

/** A non-2xx HTTP status; `code` is `UNAUTHORIZED` for 401 and 403, else `HTTP`. */
export class HttpError extends AppSyncError {
  override readonly name = 'HttpError';
  readonly status: number;
  /** AppSync's error type (`UnauthorizedException`, ...), when it sent one. */
  readonly errorType: string | null;
  /** The response body, as text. */
  readonly body: string;
  constructor(message: string, fields: { status: number; errorType: string | null; body: string }) {
    super(message, fields.status === 401 || fields.status === 403 ? 'UNAUTHORIZED' : 'HTTP');
    this.status = fields.status;
    this.errorType = fields.errorType;
    this.body = fields.body;
  }
}

/** The server answered with GraphQL errors (with `errorPolicy: 'none'`); `data` keeps any partial result. */
export class GraphQLResponseError extends AppSyncError {
  override readonly name = 'GraphQLResponseError';
  readonly errors: GraphQLError[];
  readonly data: JsonObject | null;
  constructor(message: string, fields: { errors: GraphQLError[]; data: JsonObject | null }) {
    super(message, 'GRAPHQL');
    this.errors = fields.errors;
    this.data = fields.data;
  }
}

/** The server's answer was not a GraphQL response. */
export class InvalidResponseError extends AppSyncError {
  override readonly name = 'InvalidResponseError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message, 'INVALID_RESPONSE');
    this.status = status;
  }
}

/** The local cache or its IndexedDB database failed; `corrupt` when the stored data is damaged. */
export class CacheError extends AppSyncError {
  override readonly name = 'CacheError';
  readonly corrupt: boolean;
  constructor(message: string, corrupt: boolean) {
    super(message, 'CACHE');
    this.corrupt = corrupt;
  }
}

type Fields = { readonly [key: string]: unknown };

function isFields(value: unknown): value is Fields {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function text(fields: Fields, key: string): string {
  const value = fields[key];
  return typeof value === 'string' ? value : '';
}

function textOrNull(fields: Fields, key: string): string | null {
  const value = fields[key];
  return typeof value === 'string' ? value : null;
}

function num(fields: Fields, key: string): number {
  const value = fields[key];
  return typeof value === 'number' ? value : 0;
}

/**
 * Turns what the wasm module threw or rejected with into an `AppSyncError` subclass. Anything
 * that did not come from the core (which should not happen) is returned unchanged.
 */
export function toAppSyncError(raw: unknown): unknown {
  if (raw instanceof AppSyncError || !isFields(raw)) return raw;
  const message = text(raw, 'message');
  switch (raw['name']) {
    case 'ConfigError':
      return new ConfigError(message, {
        sourceName: text(raw, 'sourceName'),
        key: text(raw, 'key'),
        expected: text(raw, 'expected'),
        found: text(raw, 'found'),
      });
    case 'InvalidDocumentError':
      return new InvalidDocumentError(message);
    case 'AuthError':
      return new AuthError(message, textOrNull(raw, 'authMode') as AuthMode | null);
    case 'NetworkError':
      return new NetworkError(message);
    case 'TimeoutError':
      return new TimeoutError(message, num(raw, 'afterMs'));
    case 'HttpError':
      return new HttpError(message, {
        status: num(raw, 'status'),
        errorType: textOrNull(raw, 'errorType'),
        body: text(raw, 'body'),
      });
    case 'GraphQLResponseError': {
      const errors = raw['errors'];
      const data = raw['data'];
      return new GraphQLResponseError(message, {
        errors: Array.isArray(errors) ? (errors as GraphQLError[]) : [],
        data: isFields(data) ? (data as JsonObject) : null,
      });
    }
    case 'InvalidResponseError':
      return new InvalidResponseError(message, num(raw, 'status'));
    case 'CacheError':
      return new CacheError(message, raw['corrupt'] === true);
    default:
      return raw;
  }
}
