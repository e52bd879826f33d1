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

    /// From the text of `amplify_outputs.json`, `amplifyconfiguration.json` or aws-exports JSON.
    public init(configJSON: String, sourceName: String = "amplify_outputs.json", providers: Providers = Providers()) throws {
        ffi = try mapped { try AppSyncFFI.AppSyncClient(configJson: configJSON, sourceName: sourceName, providers: providers.ffi) }
    }

    /// From a config file on disk.
    public convenience init(contentsOf url: URL, providers: Providers = Providers()) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw AppSyncError.config(message: "\(url.lastPathComponent): cannot be read: \(error)", sourceName: url.lastPathComponent,
                                      key: "", expected: "a readable file", found: "an I/O error")
        }
        try self.init(configJSON: text, sourceName: url.lastPathComponent, providers: providers)
    }

    /// Runs a query. With `partialResults`, GraphQL errors come back in the response instead of being thrown.
    public func query(_ document: String, variables: JSONValue? = nil, operationName: String? = nil, authMode: AuthMode? = nil,
                      headers: [String: String] = [:], timeoutMs: UInt64? = nil, partialResults: Bool = false) async throws -> GraphQLResponse {
        let request = Self.request(document, variables, operationName, authMode, headers, timeoutMs, partialResults)
        return GraphQLResponse(try await mapped { try await ffi.query(request: request) })
    }

    /// Runs a mutation.
    public func mutate(_ document: String, variables: JSONValue? = nil, operationName: String? = nil, authMode: AuthMode? = nil,
                       headers: [String: String] = [:], timeoutMs: UInt64? = nil, partialResults: Bool = false) async throws -> GraphQLResponse {
        let request = Self.request(document, variables, operationName, authMode, headers, timeoutMs, partialResults)
        return GraphQLResponse(try await mapped { try await ffi.mutate(request: request) })
    }

    /// Subscribes. The stream yields events until it is cancelled or terminated (which sends
    /// `stop`); a failure ends it with an `AppSyncError`. The connection recovers by itself: watch
    /// for `.resubscribed` to catch up after an outage.
    public func subscribe(_ document: String, variables: JSONValue? = nil, operationName: String? = nil,
                          authMode: AuthMode? = nil) -> AsyncThrowingStream<SubscriptionEvent, Error> {
        let request = Self.request(document, variables, operationName, authMode, [:], nil, false)
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
                                _ headers: [String: String], _ timeoutMs: UInt64?, _ partialResults: Bool) -> GraphQlRequest {
        GraphQlRequest(document: document, variablesJson: variables?.jsonText, operationName: operationName,
                       authMode: authMode?.ffi, headers: headers, timeoutMs: timeoutMs, partialResults: partialResults)
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
