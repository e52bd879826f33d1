import AppSyncFFI
import Foundation

/// A mutation `mutate` took: queued (offline support on) or already answered.
public final class PendingMutation: @unchecked Sendable {
    private let ffi: AppSyncFFI.PendingMutation

    init(_ ffi: AppSyncFFI.PendingMutation) {
        self.ffi = ffi
    }

    /// The client mutation id.
    public var id: String { ffi.id() }

    /// Waits for the outcome (for as long as the device is offline).
    public func outcome() async throws -> MutationOutcome {
        MutationOutcome(try await mapped { try await ffi.outcome() })
    }

    /// Waits for the server's answer (for as long as the device is offline); nil when the
    /// mutation was discarded. A parked mutation throws the `AppSyncError` that parked it (it
    /// stays queued: retry, edit or discard it).
    public func response() async throws -> GraphQLResponse? {
        try await mapped { try await ffi.response() }.map(GraphQLResponse.init)
    }
}

/// The cache as a `MutationUpdate` sees it. Reads see everything, optimistic layers too;
/// `writeQuery` writes into the mutation's optimistic layer on the optimistic pass (rolled back
/// with it) and into the cache itself on the server's answer.
public final class MutationCache: @unchecked Sendable {
    private let ffi: AppSyncFFI.MutationCache

    init(_ ffi: AppSyncFFI.MutationCache) {
        self.ffi = ffi
    }

    /// True on the optimistic pass, false on the server's answer.
    public var isOptimistic: Bool { ffi.isOptimistic() }

    /// The query's data, or nil when the cache lacks part of it.
    public func readQuery(_ document: String, variables: JSONValue? = nil, operationName: String? = nil) async throws -> JSONValue? {
        let request = cacheRequest(document, variables, operationName)
        return parseOptional(try await mapped { try await ffi.readQuery(request: request) })
    }

    /// Entity `key` (e.g. `Todo:1`) through a fragment document; nil when the cache lacks part of it.
    public func readFragment(_ document: String, key: String, fragmentName: String? = nil,
                             variables: JSONValue? = nil) async throws -> JSONValue? {
        parseOptional(try await mapped {
            try await ffi.readFragment(document: document, key: key, fragmentName: fragmentName, variablesJson: variables?.jsonText)
        })
    }

    /// Writes `data` as the query's result; returns what did not match the document.
    @discardableResult
    public func writeQuery(_ document: String, data: JSONValue, variables: JSONValue? = nil,
                           operationName: String? = nil) async throws -> [String] {
        let request = cacheRequest(document, variables, operationName)
        return try await mapped { try await ffi.writeQuery(request: request, dataJson: data.jsonText) }
    }
}

private func cacheRequest(_ document: String, _ variables: JSONValue?, _ operationName: String?) -> GraphQlRequest {
    GraphQlRequest(document: document, variablesJson: variables?.jsonText, operationName: operationName,
                   authMode: nil, headers: [:], timeoutMs: nil, partialResults: false, fetchPolicy: nil)
}

/// Like Apollo's `update(cache, result)`: keeps other cached queries (a list, a count) in step with
/// a mutation. It runs on the optimistic response (when there is one) and again on the server's
/// answer (`data` is the mutation's `data`), so it must be idempotent: write what the list should
/// hold, don't append blindly. It lives in memory: a mutation queued in an earlier run of the app
/// replays without it (its result still reaches the cache). What it throws is logged; the
/// mutation goes on.
public typealias MutationUpdate = @Sendable (_ cache: MutationCache, _ data: JSONValue) async throws -> Void

/// The app's update function as the FFI's.
final class UpdateAdapter: AppSyncFFI.MutationUpdate {
    let update: MutationUpdate
    init(_ update: @escaping MutationUpdate) { self.update = update }

    /// What the app's function throws goes back to the core, which logs it; the mutation goes on.
    func update(cache: AppSyncFFI.MutationCache, dataJson: String) async throws {
        guard let data = try? JSONValue(parsing: dataJson) else { return }
        try await update(MutationCache(cache), data)
    }
}

/// Why a queued mutation waits for the app.
public enum ParkReason: String, Sendable, Equatable {
    case rejected = "REJECTED"
    case unauthorized = "UNAUTHORIZED"
    case conflict = "CONFLICT"

    init(_ reason: AppSyncFFI.ParkReason) {
        switch reason {
        case .rejected: self = .rejected
        case .unauthorized: self = .unauthorized
        case .conflict: self = .conflict
        }
    }
}

/// How a queued mutation ended.
public enum MutationOutcome: Sendable, Equatable {
    /// The server applied it; its answer is also in the cache.
    case succeeded(data: JSONValue?, errors: [GraphQLError])
    /// Waiting for the app: `retryMutation`, `editMutation` or `discardMutation`. `code` is the error's code.
    case parked(reason: ParkReason, code: String, message: String)
    case discarded

    init(_ outcome: AppSyncFFI.MutationOutcome) {
        switch outcome {
        case .succeeded(let dataJson, let errors): self = .succeeded(data: parseOptional(dataJson), errors: errors.map(GraphQLError.init))
        case .parked(let reason, let code, let message): self = .parked(reason: ParkReason(reason), code: code, message: message)
        case .discarded: self = .discarded
        }
    }
}

/// What the outbox reports, in order.
public enum OutboxEvent: Sendable, Equatable {
    case enqueued(id: String)
    case sending(id: String, attempt: UInt32)
    /// A retryable failure; the next attempt after `delayMs`, sooner when back online.
    case retrying(id: String, attempt: UInt32, delayMs: UInt64, code: String, message: String)
    case done(id: String, outcome: MutationOutcome)
    /// The network status changed (reported with `setNetworkOnline` or learned from a request).
    case network(online: Bool)

    init(_ event: AppSyncFFI.OutboxEvent) {
        switch event {
        case .enqueued(let id): self = .enqueued(id: id)
        case .sending(let id, let attempt): self = .sending(id: id, attempt: attempt)
        case .retrying(let id, let attempt, let delayMs, let code, let message):
            self = .retrying(id: id, attempt: attempt, delayMs: delayMs, code: code, message: message)
        case .done(let id, let outcome): self = .done(id: id, outcome: MutationOutcome(outcome))
        case .network(let online): self = .network(online: online)
        }
    }
}

/// A queued mutation, pending or parked.
public struct QueuedMutation: Sendable, Equatable {
    public let id: String
    public let document: String
    public let variables: JSONValue?
    public let optimisticResponse: JSONValue?
    public let enqueuedAtMs: Int64
    public let attempts: UInt32
    /// Why it is parked (`nil` while pending); `serverData` is the server's item for conflicts.
    public let parked: (reason: ParkReason, message: String, errorType: String?, serverData: JSONValue?)?

    init(_ entry: AppSyncFFI.QueuedMutation) {
        id = entry.id
        document = entry.document
        variables = parseOptional(entry.variablesJson)
        optimisticResponse = parseOptional(entry.optimisticJson)
        enqueuedAtMs = entry.enqueuedAtMs
        attempts = entry.attempts
        parked = entry.parked.map { (ParkReason($0.reason), $0.message, $0.errorType, parseOptional($0.serverDataJson)) }
    }

    public static func == (a: QueuedMutation, b: QueuedMutation) -> Bool {
        a.id == b.id && a.document == b.document && a.variables == b.variables && a.attempts == b.attempts
            && a.parked?.reason == b.parked?.reason
    }
}

/// A conflict, for the app's resolver.
public struct Conflict: Sendable, Equatable {
    public let mutationId: String
    public let document: String
    public let variables: JSONValue?
    /// The server's current item, when it could be had.
    public let serverData: JSONValue?
    /// How often this mutation was already retried after a conflict.
    public let retries: UInt32
    /// `ConflictUnhandled` or `DynamoDB:ConditionalCheckFailedException`.
    public let errorType: String
}

/// What the resolver decides.
public enum ConflictResolution: Sendable, Equatable {
    /// Send again with these variables (e.g. with the server's `_version`).
    case retry(variables: JSONValue)
    /// Give the mutation up; the server's item goes to the cache.
    case discard
    /// Leave it to the app: parked, listed by `outboxEntries()`.
    case park
}

/// Settles conflicts. Without one, a conflicted mutation is parked (the same default on every platform).
public typealias ConflictResolver = @Sendable (Conflict) async -> ConflictResolution

/// The app's resolver as the FFI's handler.
final class ResolverHandler: ConflictHandler {
    let resolver: ConflictResolver
    init(_ resolver: @escaping ConflictResolver) { self.resolver = resolver }

    func resolve(conflict: ConflictInfo) async -> AppSyncFFI.ConflictResolution {
        let decision = await resolver(Conflict(
            mutationId: conflict.mutationId, document: conflict.document, variables: parseOptional(conflict.variablesJson),
            serverData: parseOptional(conflict.serverDataJson), retries: conflict.retries, errorType: conflict.errorType))
        switch decision {
        case .retry(let variables): return .retry(variablesJson: variables.jsonText)
        case .discard: return .discard
        case .park: return .park
        }
    }
}

/// Feeds outbox events into an AsyncStream.
final class OutboxStreamListener: OutboxListener {
    let continuation: AsyncStream<OutboxEvent>.Continuation
    init(_ continuation: AsyncStream<OutboxEvent>.Continuation) { self.continuation = continuation }

    func onEvent(event: AppSyncFFI.OutboxEvent) {
        continuation.yield(OutboxEvent(event))
    }
}

extension AppSyncClient {
    /// Queues a mutation in the durable outbox (committed before this returns) and shows `optimisticResponse` at
    /// once; returns its id. It is sent in order whenever the network allows, retried through network trouble, and
    /// its outcome comes through `mutationOutcome(_:)` and `outboxEvents()`, also after the app restarts.
    public func enqueue(_ document: String, variables: JSONValue? = nil, optimisticResponse: JSONValue? = nil,
                        operationName: String? = nil, authMode: AuthMode? = nil, mutationId: String? = nil,
                        update: MutationUpdate? = nil) async throws -> String {
        let request = GraphQlRequest(document: document, variablesJson: variables?.jsonText, operationName: operationName,
                                     authMode: authMode?.ffi, headers: [:], timeoutMs: nil, partialResults: false, fetchPolicy: nil)
        return try await mapped {
            try await ffiClient.enqueueMutation(request: request, optimisticResponseJson: optimisticResponse?.jsonText,
                                                mutationId: mutationId, update: update.map(UpdateAdapter.init))
        }
    }

    /// Waits for a queued mutation's outcome (for as long as the device is offline).
    public func mutationOutcome(_ id: String) async throws -> MutationOutcome {
        MutationOutcome(try await mapped { try await ffiClient.mutationOutcome(id: id) })
    }

    /// Every queued mutation in order, pending and parked.
    public func outboxEntries() async throws -> [QueuedMutation] {
        try await mapped { try await ffiClient.outboxEntries() }.map(QueuedMutation.init)
    }

    /// Sends a parked mutation again.
    public func retryMutation(_ id: String) async throws {
        try await mapped { try await ffiClient.retryMutation(id: id) }
    }

    /// Replaces a queued mutation's variables (and optimistic response, when given).
    public func editMutation(_ id: String, variables: JSONValue, optimisticResponse: JSONValue? = nil) async throws {
        try await mapped {
            try await ffiClient.editMutation(id: id, variablesJson: variables.jsonText, optimisticResponseJson: optimisticResponse?.jsonText)
        }
    }

    /// Removes a queued mutation for good; its optimistic response is rolled back.
    public func discardMutation(_ id: String) async throws {
        try await mapped { try await ffiClient.discardMutation(id: id) }
    }

    /// Reports connectivity (from `NWPathMonitor`): offline nothing is sent; back online the queue drains.
    public func setNetworkOnline(_ online: Bool) throws {
        try mapped { try ffiClient.setNetworkOnline(online: online) }
    }

    /// Sets (or clears) the conflict resolver; without one, conflicts park the mutation.
    public func setConflictResolver(_ resolver: ConflictResolver?) {
        ffiClient.setConflictHandler(handler: resolver.map { ResolverHandler($0) })
    }

    /// The outbox's events from now on, until the iteration is cancelled.
    public func outboxEvents() throws -> AsyncStream<OutboxEvent> {
        var handle: OutboxListenerHandle?
        let stream = AsyncStream<OutboxEvent> { continuation in
            let listener = OutboxStreamListener(continuation)
            handle = try? ffiClient.watchOutbox(listener: listener)
            let registered = handle
            continuation.onTermination = { _ in registered?.cancel() }
        }
        if handle == nil {
            throw AppSyncError.invalidDocument(message: "the outbox cannot be watched")
        }
        return stream
    }
}
