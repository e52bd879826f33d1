import AppSyncFFI
import Foundation

/// How a request authenticates.
public enum AuthMode: String, Sendable, CaseIterable {
    case apiKey = "API_KEY"
    case iam = "AWS_IAM"
    case userPools = "AMAZON_COGNITO_USER_POOLS"
    case oidc = "OPENID_CONNECT"
    case lambda = "AWS_LAMBDA"
    case none = "NONE"

    var ffi: AppSyncFFI.AuthMode {
        switch self {
        case .apiKey: return .apiKey
        case .iam: return .iam
        case .userPools: return .userPools
        case .oidc: return .oidc
        case .lambda: return .lambda
        case .none: return .none
        }
    }
}

/// Where a query's result comes from. The default is `.cacheAndNetwork`.
public enum FetchPolicy: Sendable, CaseIterable {
    /// The cache when it holds the whole result, else the network.
    case cacheFirst
    /// The network's result, written to the cache; `watchQuery` shows the cached one first.
    case cacheAndNetwork
    /// The network, written to the cache.
    case networkOnly
    /// The cache only; a miss is `AppSyncError.graphQL` with an error of type `CacheMiss`.
    case cacheOnly
    /// The network, not written to the cache.
    case noCache

    var ffi: AppSyncFFI.FetchPolicy {
        switch self {
        case .cacheFirst: return .cacheFirst
        case .cacheAndNetwork: return .cacheAndNetwork
        case .networkOnly: return .networkOnly
        case .cacheOnly: return .cacheOnly
        case .noCache: return .noCache
        }
    }
}

/// Client settings that are not in the Amplify config.
public struct ClientOptions: Sendable, Equatable {
    /// The SQLite file the cache persists in (e.g. in Application Support); `nil` keeps it in memory.
    public var databaseURL: URL?
    /// The namespace inside the database: clients with different prefixes never share data. Default: the endpoint.
    public var keyPrefix: String?
    /// Keep the cache in memory only even with a `databaseURL`, and send mutations at once instead of queuing them.
    public var disableOffline: Bool
    /// The outbox's first retry waits up to this many milliseconds, doubling per attempt (full jitter). Default 500.
    public var retryBaseMs: UInt64?
    /// The longest wait between retries, in milliseconds. Default 60,000.
    public var retryCapMs: UInt64?
    /// Conflict retries a resolver gets before the mutation is parked. Default 10.
    public var maxConflictRetries: UInt32?
    /// How long the outbox's drain lease lasts unrenewed, in milliseconds (another process takes over after a crash). Default 5,000.
    public var leaseTtlMs: UInt64?

    public init(databaseURL: URL? = nil, keyPrefix: String? = nil, disableOffline: Bool = false,
                retryBaseMs: UInt64? = nil, retryCapMs: UInt64? = nil, maxConflictRetries: UInt32? = nil,
                leaseTtlMs: UInt64? = nil) {
        self.databaseURL = databaseURL
        self.keyPrefix = keyPrefix
        self.disableOffline = disableOffline
        self.retryBaseMs = retryBaseMs
        self.retryCapMs = retryCapMs
        self.maxConflictRetries = maxConflictRetries
        self.leaseTtlMs = leaseTtlMs
    }

    var ffi: AppSyncFFI.ClientOptions {
        AppSyncFFI.ClientOptions(databasePath: databaseURL?.path, keyPrefix: keyPrefix, disableOffline: disableOffline,
                                 retryBaseMs: retryBaseMs, retryCapMs: retryCapMs,
                                 maxConflictRetries: maxConflictRetries, leaseTtlMs: leaseTtlMs)
    }
}

/// One emission of a watched query: a response (the cached result, or a new one after a change), or
/// the failure of a network fetch, after which the watch keeps following the cache.
public enum WatchResult: Sendable, Equatable {
    case response(GraphQLResponse)
    case failure(AppSyncError)

    /// The response's data, if this is a response.
    public var data: JSONValue? {
        if case .response(let response) = self { return response.data }
        return nil
    }
}

/// A position in the document as sent.
public struct ErrorLocation: Sendable, Equatable {
    public let line: UInt64
    public let column: UInt64
}

/// One GraphQL error with every AppSync field.
public struct GraphQLError: Sendable, Equatable {
    public let message: String
    public let errorType: String?
    public let errorInfo: JSONValue?
    /// For conflicts: the server's current item.
    public let data: JSONValue?
    public let path: JSONValue?
    public let locations: [ErrorLocation]

    init(_ e: AppSyncFFI.GraphQlError) {
        message = e.message
        errorType = e.errorType
        errorInfo = parseOptional(e.errorInfoJson)
        data = parseOptional(e.dataJson)
        path = parseOptional(e.pathJson)
        locations = e.locations.map { ErrorLocation(line: $0.line, column: $0.column) }
    }
}

/// A response; `data` and `errors` may both be present (partial results).
public struct GraphQLResponse: Sendable, Equatable {
    public let data: JSONValue?
    public let errors: [GraphQLError]

    init(_ r: AppSyncFFI.GraphQlResponse) {
        data = parseOptional(r.dataJson)
        errors = r.errors.map(GraphQLError.init)
    }
}

/// The state of a subscription's connection.
public enum ConnectionState: Sendable, Equatable {
    case connecting
    case connected
    case disrupted(reason: String)
    case reconnecting(attempt: UInt32)
    case disconnected

    init(_ state: AppSyncFFI.ConnectionState) {
        switch state {
        case .connecting: self = .connecting
        case .connected: self = .connected
        case .disrupted(let reason): self = .disrupted(reason: reason)
        case .reconnecting(let attempt): self = .reconnecting(attempt: attempt)
        case .disconnected: self = .disconnected
        }
    }
}

/// What a subscription's stream yields. A failure ends the stream with an `AppSyncError`.
public enum SubscriptionEvent: Sendable, Equatable {
    case started
    case data(JSONValue)
    case errors([GraphQLError])
    /// Live again after a reconnect: events may have been missed, catch up now.
    case resubscribed
    case connectionChanged(ConnectionState)
}
