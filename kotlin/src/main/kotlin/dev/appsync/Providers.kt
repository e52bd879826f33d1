package dev.appsync

import dev.appsync.ffi.ProviderException

/** A bearer token and when it expires (epoch ms), if known (JWTs carry it in `exp`). */
data class AuthToken(val token: String, val expiresAtMs: Long? = null)

/** AWS credentials for IAM. */
data class AwsCredentials(
    val accessKeyId: String,
    val secretAccessKey: String,
    val sessionToken: String? = null,
    val expiresAtMs: Long? = null,
) {
    override fun toString() = "AwsCredentials(accessKeyId=$accessKeyId, secretAccessKey=<redacted>)"
}

/** Gives tokens (Cognito user pools, OIDC, Lambda); [forceRefresh] after a rejection or near expiry. */
fun interface TokenSource {
    suspend fun token(forceRefresh: Boolean): AuthToken
}

/** Gives AWS credentials for IAM signing. */
fun interface CredentialsSource {
    suspend fun credentials(forceRefresh: Boolean): AwsCredentials
}

/** Adds headers to every request. */
fun interface HeaderSource {
    suspend fun headers(): Map<String, String>
}

/** The credentials a client can use; any may be absent. */
data class Providers(
    val userPools: TokenSource? = null,
    val oidc: TokenSource? = null,
    val lambda: TokenSource? = null,
    val iam: CredentialsSource? = null,
    val headers: HeaderSource? = null,
)

private fun failure(e: Throwable) = ProviderException.Failed(e.message ?: e.toString())

private class TokenAdapter(private val source: TokenSource) : dev.appsync.ffi.TokenProvider {
    override suspend fun token(forceRefresh: Boolean): dev.appsync.ffi.AuthToken =
        try {
            val t = source.token(forceRefresh)
            dev.appsync.ffi.AuthToken(t.token, t.expiresAtMs)
        } catch (e: Exception) {
            throw failure(e)
        }
}

private class CredentialsAdapter(private val source: CredentialsSource) : dev.appsync.ffi.CredentialsProvider {
    override suspend fun credentials(forceRefresh: Boolean): dev.appsync.ffi.AwsCredentials =
        try {
            val c = source.credentials(forceRefresh)
            dev.appsync.ffi.AwsCredentials(c.accessKeyId, c.secretAccessKey, c.sessionToken, c.expiresAtMs)
        } catch (e: Exception) {
            throw failure(e)
        }
}

private class HeaderAdapter(private val source: HeaderSource) : dev.appsync.ffi.HeaderProvider {
    override suspend fun headers(): Map<String, String> =
        try {
            source.headers()
        } catch (e: Exception) {
            throw failure(e)
        }
}

internal fun Providers.toFfi() = dev.appsync.ffi.AuthProviders(
    userPools = userPools?.let(::TokenAdapter),
    oidc = oidc?.let(::TokenAdapter),
    lambda = lambda?.let(::TokenAdapter),
    iam = iam?.let(::CredentialsAdapter),
    headers = headers?.let(::HeaderAdapter),
)
