package dev.appsync

import dev.appsync.ffi.AppSyncException
import kotlinx.serialization.json.JsonElement

/**
 * Everything an AppSync call can fail with. [code] is the same string on every platform
 * (CONFIG, INVALID_DOCUMENT, AUTH, NETWORK, TIMEOUT, UNAUTHORIZED, HTTP, GRAPHQL, INVALID_RESPONSE, CACHE).
 */
sealed class AppSyncError(message: String, val code: String) : Exception(message) {
    /** The configuration file cannot be used: which file, key, what was expected and found. */
    class ConfigError(message: String, val sourceName: String, val key: String, val expected: String, val found: String) :
        AppSyncError(message, "CONFIG")

    /** The document or its variables were rejected before anything was sent. */
    class InvalidDocumentError(message: String) : AppSyncError(message, "INVALID_DOCUMENT")

    /** No credential could be produced (missing provider, provider failed). */
    class AuthError(message: String) : AppSyncError(message, "AUTH")

    /** The server could not be reached or the connection broke. */
    class NetworkError(message: String) : AppSyncError(message, "NETWORK")

    /** No answer within the request timeout. */
    class TimeoutError(val afterMs: Long) : AppSyncError("the request timed out after $afterMs ms", "TIMEOUT")

    /** A non-2xx HTTP status, with AppSync's error type and the body. */
    class HttpError(message: String, val status: Int, val errorType: String?, val body: String) :
        AppSyncError(message, if (status == 401 || status == 403) "UNAUTHORIZED" else "HTTP")

    /** GraphQL errors; [data] keeps any partial result. */
    class GraphQLResponseError(message: String, val errors: List<GraphQLError>, val data: JsonElement?) :
        AppSyncError(message, "GRAPHQL")

    /** The server's answer was not a GraphQL response. */
    class InvalidResponseError(message: String, val status: Int) : AppSyncError(message, "INVALID_RESPONSE")

    /** The local cache or its database failed; when [corrupt], [AppSyncClient.resetDatabase] starts it over. */
    class CacheError(message: String, val corrupt: Boolean) : AppSyncError(message, "CACHE")

    /** A subscription ended with an error the codes above describe. */
    class SubscriptionError(message: String, code: String, val errors: List<GraphQLError>) : AppSyncError(message, code)

    /** Whether trying again later may succeed (network, timeout, 429, 5xx). */
    val isTransient: Boolean
        get() = this is NetworkError || this is TimeoutError ||
            (this is HttpError && (status == 429 || status >= 500))
}

internal fun AppSyncException.toAppSyncError(): AppSyncError = when (this) {
    is AppSyncException.Config -> AppSyncError.ConfigError(detail, sourceName, key, expected, found)
    is AppSyncException.InvalidDocument -> AppSyncError.InvalidDocumentError(detail)
    is AppSyncException.Auth -> AppSyncError.AuthError(detail)
    is AppSyncException.Network -> AppSyncError.NetworkError(detail)
    is AppSyncException.Timeout -> AppSyncError.TimeoutError(afterMs.toLong())
    is AppSyncException.Http -> AppSyncError.HttpError(detail, status.toInt(), errorType, body)
    is AppSyncException.GraphQl -> AppSyncError.GraphQLResponseError(detail, errors.map { it.toGraphQLError() }, dataJson?.let(::parseJson))
    is AppSyncException.InvalidResponse -> AppSyncError.InvalidResponseError(detail, status.toInt())
    is AppSyncException.Cache -> AppSyncError.CacheError(detail, corrupt)
}

/** Runs an FFI call, turning its exceptions into [AppSyncError]s. */
internal inline fun <T> mapped(call: () -> T): T =
    try {
        call()
    } catch (e: AppSyncException) {
        throw e.toAppSyncError()
    }
