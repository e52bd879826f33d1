import AppSyncFFI
import Foundation

/// A bearer token and when it expires (epoch ms), if known (JWTs carry it in `exp`).
public struct Token: Sendable, Equatable {
    public let token: String
    public let expiresAtMs: Int64?
    public init(_ token: String, expiresAtMs: Int64? = nil) {
        self.token = token
        self.expiresAtMs = expiresAtMs
    }
}

/// AWS credentials for IAM.
public struct Credentials: Sendable, Equatable, CustomStringConvertible {
    public let accessKeyId: String
    public let secretAccessKey: String
    public let sessionToken: String?
    public let expiresAtMs: Int64?
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiresAtMs: Int64? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiresAtMs = expiresAtMs
    }
    public var description: String { "Credentials(accessKeyId: \(accessKeyId), secretAccessKey: <redacted>)" }
}

/// Gives tokens (Cognito user pools, OIDC, Lambda); `forceRefresh` after a rejection or near expiry.
public typealias TokenSource = @Sendable (_ forceRefresh: Bool) async throws -> Token
/// Gives AWS credentials for IAM signing.
public typealias CredentialsSource = @Sendable (_ forceRefresh: Bool) async throws -> Credentials
/// Adds headers to every request.
public typealias HeaderSource = @Sendable () async throws -> [String: String]

/// The credentials a client can use; any may be absent.
public struct Providers: Sendable {
    public var userPools: TokenSource?
    public var oidc: TokenSource?
    public var lambda: TokenSource?
    public var iam: CredentialsSource?
    public var headers: HeaderSource?

    public init(userPools: TokenSource? = nil, oidc: TokenSource? = nil, lambda: TokenSource? = nil,
                iam: CredentialsSource? = nil, headers: HeaderSource? = nil) {
        self.userPools = userPools
        self.oidc = oidc
        self.lambda = lambda
        self.iam = iam
        self.headers = headers
    }

    var ffi: AppSyncFFI.AuthProviders {
        AppSyncFFI.AuthProviders(
            userPools: userPools.map(TokenAdapter.init),
            oidc: oidc.map(TokenAdapter.init),
            lambda: lambda.map(TokenAdapter.init),
            iam: iam.map(CredentialsAdapter.init),
            headers: headers.map(HeaderAdapter.init)
        )
    }
}

private func failure(_ error: Error) -> ProviderException {
    .Failed(detail: String(describing: error))
}

private final class TokenAdapter: AppSyncFFI.TokenProvider {
    let source: TokenSource
    init(_ source: @escaping TokenSource) { self.source = source }
    func token(forceRefresh: Bool) async throws -> AppSyncFFI.AuthToken {
        do {
            let t = try await source(forceRefresh)
            return AppSyncFFI.AuthToken(token: t.token, expiresAtMs: t.expiresAtMs)
        } catch {
            throw failure(error)
        }
    }
}

private final class CredentialsAdapter: AppSyncFFI.CredentialsProvider {
    let source: CredentialsSource
    init(_ source: @escaping CredentialsSource) { self.source = source }
    func credentials(forceRefresh: Bool) async throws -> AppSyncFFI.AwsCredentials {
        do {
            let c = try await source(forceRefresh)
            return AppSyncFFI.AwsCredentials(accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey,
                                             sessionToken: c.sessionToken, expiresAtMs: c.expiresAtMs)
        } catch {
            throw failure(error)
        }
    }
}

private final class HeaderAdapter: AppSyncFFI.HeaderProvider {
    let source: HeaderSource
    init(_ source: @escaping HeaderSource) { self.source = source }
    func headers() async throws -> [String: String] {
        do {
            return try await source()
        } catch {
            throw failure(error)
        }
    }
}
