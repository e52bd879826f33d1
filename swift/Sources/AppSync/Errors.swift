import AppSyncFFI
import Foundation

/// Everything an AppSync call can fail with. `code` is the same string on every platform.
public enum AppSyncError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration cannot be used: which file, key, what was expected and found.
    case config(message: String, sourceName: String, key: String, expected: String, found: String)
    /// The document or its variables were rejected before anything was sent.
    case invalidDocument(message: String)
    /// No credential could be produced (missing provider, provider failed).
    case auth(message: String)
    /// The server could not be reached or the connection broke.
    case network(message: String)
    /// No answer within the request timeout.
    case timeout(afterMs: UInt64)
    /// A non-2xx HTTP status, with AppSync's error type and the body.
    case http(status: Int, errorType: String?, message: String, body: String)
    /// GraphQL errors; `data` keeps any partial result.
    case graphQL(message: String, errors: [GraphQLError], data: JSONValue?)
    /// The server's answer was not a GraphQL response.
    case invalidResponse(status: Int, message: String)
    /// The local cache or its database failed; when `corrupt`, `AppSyncClient.resetDatabase` starts it over.
    case cache(message: String, corrupt: Bool)
    /// A subscription ended with an error described by `code`.
    case subscription(code: String, message: String, errors: [GraphQLError])

    public var code: String {
        switch self {
        case .config: return "CONFIG"
        case .invalidDocument: return "INVALID_DOCUMENT"
        case .auth: return "AUTH"
        case .network: return "NETWORK"
        case .timeout: return "TIMEOUT"
        case .http(let status, _, _, _): return status == 401 || status == 403 ? "UNAUTHORIZED" : "HTTP"
        case .graphQL: return "GRAPHQL"
        case .invalidResponse: return "INVALID_RESPONSE"
        case .cache: return "CACHE"
        case .subscription(let code, _, _): return code
        }
    }

    /// Whether trying again later may succeed (network, timeout, 429, 5xx).
    public var isTransient: Bool {
        switch self {
        case .network, .timeout: return true
        case .http(let status, _, _, _): return status == 429 || status >= 500
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .config(let message, _, _, _, _), .invalidDocument(let message), .auth(let message),
             .network(let message), .http(_, _, let message, _), .graphQL(let message, _, _),
             .invalidResponse(_, let message), .cache(let message, _), .subscription(_, let message, _):
            return "\(code): \(message)"
        case .timeout(let afterMs):
            return "\(code): the request timed out after \(afterMs) ms"
        }
    }
}

func parseOptional(_ text: String?) -> JSONValue? {
    guard let text else { return nil }
    return try? JSONValue(parsing: text)
}

extension AppSyncException {
    var appSyncError: AppSyncError {
        switch self {
        case .Config(let detail, let sourceName, let key, let expected, let found):
            return .config(message: detail, sourceName: sourceName, key: key, expected: expected, found: found)
        case .InvalidDocument(let detail): return .invalidDocument(message: detail)
        case .Auth(let detail): return .auth(message: detail)
        case .Network(let detail): return .network(message: detail)
        case .Timeout(let afterMs): return .timeout(afterMs: afterMs)
        case .Http(let status, let errorType, let detail, let body):
            return .http(status: Int(status), errorType: errorType, message: detail, body: body)
        case .GraphQl(let detail, let errors, let dataJson):
            return .graphQL(message: detail, errors: errors.map(GraphQLError.init), data: parseOptional(dataJson))
        case .InvalidResponse(let status, let detail): return .invalidResponse(status: Int(status), message: detail)
        case .Cache(let detail, let corrupt): return .cache(message: detail, corrupt: corrupt)
        }
    }
}

/// Runs an FFI call, turning its exceptions into `AppSyncError`s.
func mapped<T>(_ call: () throws -> T) throws -> T {
    do {
        return try call()
    } catch let error as AppSyncException {
        throw error.appSyncError
    }
}

func mapped<T>(_ call: () async throws -> T) async throws -> T {
    do {
        return try await call()
    } catch let error as AppSyncException {
        throw error.appSyncError
    }
}
