import AppSyncFFI
import Foundation

/// An AWS AppSync client over the Rust core. Thread-safe; keep one per API.
///
/// ```swift
/// let client = try AppSyncClient(contentsOf: outputsURL, providers: Providers(userPools: { force in try await fetchToken(force) }))
/// let response = try await client.query("query { listTodos { items { id name } } }")
/// for try await event in client.subscribe("subscription { onCreateTodo { id name } }") { … }
/// ```
public final class AppSyncClient: Sendable {
    private let ffi: AppSyncFFI.AppSyncClient
    /// The generated client, for the layer's extensions.
    var ffiClient: AppSyncFFI.AppSyncClient { ffi }

    /// From the text of `amplify_outputs.json`, `amplifyconfiguration.json` or aws-exports JSON. With
    /// `options.databaseURL` the cache persists; the database opens in the background (`hydrated()` waits).
    public init(configJSON: String, sourceName: String = "amplify_outputs.json", providers: Providers = Providers(),
                options: ClientOptions = ClientOptions()) throws {
        ffi = try mapped {
            try AppSyncFFI.AppSyncClient.withOptions(configJson: configJSON, sourceName: sourceName, providers: providers.ffi,
                                                     options: options.ffi)
        }
    }

    /// From a config file on disk.
    public convenience init(contentsOf url: URL, providers: Providers = Providers(), options: ClientOptions = ClientOptions()) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AppSyncError.config(message: "\(url.lastPathComponent): cannot be read: \(error)", sourceName: url.lastPathComponent,
                                      key: "", expected: "a readable file", found: "an I/O error")
        }
        try self.init(configJSON: text, sourceName: url.lastPathComponent, providers: providers, options: options)
    }

    /// Deletes a cache database (and its WAL) so the next client starts empty: the way out of a corrupt file.
    public static func resetDatabase(at url: URL) throws {
        try mapped { try AppSyncFFI.resetDatabase(path: url.path) }
    }

    /// Returns once the cache's database is open; throws `AppSyncError.cache` if it cannot be (queries still reach the network).
    public func hydrated() async throws {
        try await mapped { try await ffi.hydrated() }
    }

    /// Runs a query under `fetchPolicy` (default cache-and-network: the network's result, written to the cache).
    /// With `partialResults`, GraphQL errors come back in the response instead of being thrown.
    public func query(_ document: String, variables: JSONValue? = nil, operationName: String? = nil, authMode: AuthMode? = nil,
                      headers: [String: String] = [:], timeoutMs: UInt64? = nil, partialResults: Bool = false,
                      fetchPolicy: FetchPolicy? = nil) async throws -> GraphQLResponse {
        let request = Self.request(document, variables, operationName, authMode, headers, timeoutMs, partialResults, fetchPolicy)
        return GraphQLResponse(try await mapped { try await ffi.query(request: request) })
    }

    /// Watches a query: the cached result (when the cache holds all of it), the network's per `fetchPolicy`, then a new
    /// result whenever a record it reads changes (another query, a mutation, a subscription event, a cache write).
    /// Network failures arrive as `.failure` and the watch goes on; an invalid document ends the stream with an
    /// `AppSyncError`. Cancelling the iteration stops the watch.
    public func watchQuery(_ document: String, variables: JSONValue? = nil, operationName: String? = nil, authMode: AuthMode? = nil,
                           fetchPolicy: FetchPolicy? = nil) -> AsyncThrowingStream<WatchResult, Error> {
        let request = Self.request(document, variables, operationName, authMode, [:], nil, false, fetchPolicy)
        return AsyncThrowingStream { continuation in
            let listener = WatchStreamListener(continuation)
            do {
                let handle = try mapped { try ffi.watchQuery(request: request, listener: listener) }
                continuation.onTermination = { _ in handle.cancel() }
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    /// The query's data from the cache, or `nil` when the cache lacks part of it.
    public func readQuery(_ document: String, variables: JSONValue? = nil, operationName: String? = nil) async throws -> JSONValue? {
        let request = Self.request(document, variables, operationName, nil, [:], nil, false, nil)
        return parseOptional(try await mapped { try await ffi.readQuery(request: request) })
    }

    /// Writes `data` as the query's result: normalized, persisted, watchers notified. Returns what did not match the
    /// document (stored as far as it was valid).
    @discardableResult
    public func writeQuery(_ document: String, data: JSONValue, variables: JSONValue? = nil, operationName: String? = nil) async throws -> [String] {
        let request = Self.request(document, variables, operationName, nil, [:], nil, false, nil)
        return try await mapped { try await ffi.writeQuery(request: request, dataJson: data.jsonText) }
    }

    /// Reads entity `key` (e.g. `Todo:1`) through a fragment document; `nil` when the cache lacks part of it.
    public func readFragment(_ document: String, key: String, fragmentName: String? = nil, variables: JSONValue? = nil) async throws -> JSONValue? {
        parseOptional(try await mapped {
            try await ffi.readFragment(document: document, key: key, fragmentName: fragmentName, variablesJson: variables?.jsonText)
        })
    }

    /// Writes `data` as the fields of entity `key` through a fragment document.
    @discardableResult
    public func writeFragment(_ document: String, key: String, data: JSONValue, fragmentName: String? = nil,
                              variables: JSONValue? = nil) async throws -> [String] {
        try await mapped {
            try await ffi.writeFragment(document: document, key: key, dataJson: data.jsonText, fragmentName: fragmentName,
                                        variablesJson: variables?.jsonText)
        }
    }

    /// Removes one record (e.g. `Todo:1`); queries reading it then miss.
    public func evict(_ key: String) async throws {
        try await mapped { try await ffi.evict(key: key) }
    }

    /// Drops the records no query reaches; returns their keys.
    @discardableResult
    public func gc() async throws -> [String] {
        try await mapped { try await ffi.gc() }
    }

    /// Every cached record, as one JSON object.
    public func extract() async throws -> JSONValue {
        parseOptional(try await mapped { try await ffi.extract() }) ?? .null
    }

    /// Replaces the cache's records with a snapshot from `extract()`.
    public func restore(_ snapshot: JSONValue) async throws {
        try await mapped { try await ffi.restore(snapshotJson: snapshot.jsonText) }
    }

    /// Runs a mutation the offline-first way. With offline support on (the default) it is queued
    /// durably and its `optimisticResponse` shown in the cache at once; it is sent in order when
    /// the network allows, retried through network trouble, and the handle returns before the
    /// server answers: await `response()` for the answer. With `disableOffline` it is sent at
    /// once and a failure is thrown here.
    public func mutate(_ document: String, variables: JSONValue? = nil, optimisticResponse: JSONValue? = nil,
                       operationName: String? = nil, authMode: AuthMode? = nil, headers: [String: String] = [:],
                       timeoutMs: UInt64? = nil, mutationId: String? = nil,
                       update: MutationUpdate? = nil) async throws -> PendingMutation {
        let request = Self.request(document, variables, operationName, authMode, headers, timeoutMs, false, nil)
        return PendingMutation(try await mapped {
            try await ffi.mutate(request: request, optimisticResponseJson: optimisticResponse?.jsonText, mutationId: mutationId,
                                 update: update.map(UpdateAdapter.init))
        })
    }

    /// Subscribes. The stream yields events until it is cancelled or terminated (which sends
    /// `stop`); a failure ends it with an `AppSyncError`. The connection recovers by itself: watch
    /// for `.resubscribed` to catch up after an outage.
    public func subscribe(_ document: String, variables: JSONValue? = nil, operationName: String? = nil,
                          authMode: AuthMode? = nil) -> AsyncThrowingStream<SubscriptionEvent, Error> {
        let request = Self.request(document, variables, operationName, authMode, [:], nil, false, nil)
        return AsyncThrowingStream { continuation in
            let listener = StreamListener(continuation)
            do {
                let handle = try mapped { try ffi.subscribe(request: request, listener: listener) }
                continuation.onTermination = { _ in handle.cancel() }
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    /// Reconnects realtime connections now: call it when the device's network changes.
    public func reconnectRealtime() {
        ffi.reconnectRealtime()
    }

    private static func request(_ document: String, _ variables: JSONValue?, _ operationName: String?, _ authMode: AuthMode?,
                                _ headers: [String: String], _ timeoutMs: UInt64?, _ partialResults: Bool,
                                _ fetchPolicy: FetchPolicy?) -> GraphQlRequest {
        GraphQlRequest(document: document, variablesJson: variables?.jsonText, operationName: operationName,
                       authMode: authMode?.ffi, headers: headers, timeoutMs: timeoutMs, partialResults: partialResults,
                       fetchPolicy: fetchPolicy?.ffi)
    }
}

/// Feeds FFI events into an AsyncThrowingStream.
private final class StreamListener: SubscriptionListener {
    let continuation: AsyncThrowingStream<SubscriptionEvent, Error>.Continuation
    init(_ continuation: AsyncThrowingStream<SubscriptionEvent, Error>.Continuation) { self.continuation = continuation }

    func onEvent(event: AppSyncFFI.SubscriptionEvent) {
        switch event {
        case .started: continuation.yield(.started)
        case .data(let dataJson): continuation.yield(.data(parseOptional(dataJson) ?? .null))
        case .errors(let errors): continuation.yield(.errors(errors.map(GraphQLError.init)))
        case .resubscribed: continuation.yield(.resubscribed)
        case .connectionChanged(let state): continuation.yield(.connectionChanged(ConnectionState(state)))
        case .completed: continuation.finish()
        case .failed(let code, let message, let errors):
            continuation.finish(throwing: AppSyncError.subscription(code: code, message: message, errors: errors.map(GraphQLError.init)))
        }
    }
}

/// Feeds a watched query's results into an AsyncThrowingStream.
private final class WatchStreamListener: WatchListener {
    let continuation: AsyncThrowingStream<WatchResult, Error>.Continuation
    init(_ continuation: AsyncThrowingStream<WatchResult, Error>.Continuation) { self.continuation = continuation }

    func onResult(response: AppSyncFFI.GraphQlResponse) {
        continuation.yield(.response(GraphQLResponse(response)))
    }

    func onError(error: AppSyncException) {
        continuation.yield(.failure(error.appSyncError))
    }
}
