package dev.appsync

import dev.appsync.ffi.GraphQlError as FfiError
import dev.appsync.ffi.SubscriptionEvent as FfiEvent
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject

/** How a request authenticates. */
enum class AuthMode { API_KEY, AWS_IAM, AMAZON_COGNITO_USER_POOLS, OPENID_CONNECT, AWS_LAMBDA, NONE }

internal fun AuthMode.toFfi(): dev.appsync.ffi.AuthMode = when (this) {
    AuthMode.API_KEY -> dev.appsync.ffi.AuthMode.API_KEY
    AuthMode.AWS_IAM -> dev.appsync.ffi.AuthMode.IAM
    AuthMode.AMAZON_COGNITO_USER_POOLS -> dev.appsync.ffi.AuthMode.USER_POOLS
    AuthMode.OPENID_CONNECT -> dev.appsync.ffi.AuthMode.OIDC
    AuthMode.AWS_LAMBDA -> dev.appsync.ffi.AuthMode.LAMBDA
    AuthMode.NONE -> dev.appsync.ffi.AuthMode.NONE
}

/** Where a query's result comes from. The default is [CACHE_AND_NETWORK]. */
enum class FetchPolicy {
    /** The cache when it holds the whole result, else the network. */
    CACHE_FIRST,
    /** The network's result, written to the cache; [AppSyncClient.watchQuery] shows the cached one first. */
    CACHE_AND_NETWORK,
    /** The network, written to the cache. */
    NETWORK_ONLY,
    /** The cache only; a miss is a [AppSyncError.GraphQLResponseError] of type `CacheMiss`. */
    CACHE_ONLY,
    /** The network, not written to the cache. */
    NO_CACHE,
}

internal fun FetchPolicy.toFfi(): dev.appsync.ffi.FetchPolicy = when (this) {
    FetchPolicy.CACHE_FIRST -> dev.appsync.ffi.FetchPolicy.CACHE_FIRST
    FetchPolicy.CACHE_AND_NETWORK -> dev.appsync.ffi.FetchPolicy.CACHE_AND_NETWORK
    FetchPolicy.NETWORK_ONLY -> dev.appsync.ffi.FetchPolicy.NETWORK_ONLY
    FetchPolicy.CACHE_ONLY -> dev.appsync.ffi.FetchPolicy.CACHE_ONLY
    FetchPolicy.NO_CACHE -> dev.appsync.ffi.FetchPolicy.NO_CACHE
}

/**
 * Client settings that are not in the Amplify config.
 *
 * @property databasePath the SQLite file the cache persists in (on Android: `context.getDatabasePath("appsync.db")`); null keeps it in memory.
 * @property keyPrefix the namespace inside the database; clients with different prefixes never share data. Default: the endpoint.
 * @property disableOffline keep the cache in memory only even with a [databasePath].
 */
data class ClientOptions(
    val databasePath: java.nio.file.Path? = null,
    val keyPrefix: String? = null,
    /** Keep the cache in memory and send mutations at once instead of queuing them. */
    val disableOffline: Boolean = false,
    /** The outbox's first retry waits up to this long, doubling per attempt (full jitter). Default 500 ms. */
    val retryBase: kotlin.time.Duration? = null,
    /** The longest wait between retries. Default 60 s. */
    val retryCap: kotlin.time.Duration? = null,
    /** Conflict retries a resolver gets before the mutation is parked. Default 10. */
    val maxConflictRetries: Int? = null,
    /** How long the outbox's drain lease lasts unrenewed (another process takes over after a crash). Default 5 s. */
    val leaseTtl: kotlin.time.Duration? = null,
)

internal fun ClientOptions.toFfi() = dev.appsync.ffi.ClientOptions(
    databasePath = databasePath?.toString(),
    keyPrefix = keyPrefix,
    disableOffline = disableOffline,
    retryBaseMs = retryBase?.inWholeMilliseconds?.coerceAtLeast(0)?.toULong(),
    retryCapMs = retryCap?.inWholeMilliseconds?.coerceAtLeast(0)?.toULong(),
    maxConflictRetries = maxConflictRetries?.coerceAtLeast(0)?.toUInt(),
    leaseTtlMs = leaseTtl?.inWholeMilliseconds?.coerceAtLeast(0)?.toULong(),
)

/**
 * One emission of a watched query: a [response] (the cached result or a new one after a change), or
 * the [error] of a network fetch, after which the watch keeps following the cache.
 */
data class WatchResult(val response: GraphQLResponse?, val error: AppSyncError?)

/** A position in the document as sent. */
data class ErrorLocation(val line: Long, val column: Long)

/** One GraphQL error with every AppSync field. */
data class GraphQLError(
    val message: String,
    val errorType: String?,
    val errorInfo: JsonElement?,
    /** For conflicts: the server's current item. */
    val data: JsonElement?,
    val path: JsonArray?,
    val locations: List<ErrorLocation>,
)

/** A response; [data] and [errors] may both be present (partial results). */
data class GraphQLResponse(val data: JsonObject?, val errors: List<GraphQLError>)

/** The state of a subscription's connection. */
sealed interface ConnectionState {
    data object Connecting : ConnectionState
    data object Connected : ConnectionState
    data class Disrupted(val reason: String) : ConnectionState
    data class Reconnecting(val attempt: Int) : ConnectionState
    data object Disconnected : ConnectionState
}

/** What a subscription's Flow emits. A failure ends the Flow with an [AppSyncError]. */
sealed interface SubscriptionEvent {
    data object Started : SubscriptionEvent
    data class Data(val data: JsonObject) : SubscriptionEvent
    data class Errors(val errors: List<GraphQLError>) : SubscriptionEvent
    /** Live again after a reconnect: events may have been missed, catch up now. */
    data object Resubscribed : SubscriptionEvent
    data class ConnectionChanged(val state: ConnectionState) : SubscriptionEvent
}

private val json = Json { ignoreUnknownKeys = true }

internal fun parseJson(text: String): JsonElement = json.parseToJsonElement(text)

internal fun FfiError.toGraphQLError() = GraphQLError(
    message = message,
    errorType = errorType,
    errorInfo = errorInfoJson?.let(::parseJson),
    data = dataJson?.let(::parseJson),
    path = pathJson?.let { parseJson(it).jsonArray },
    locations = locations.map { ErrorLocation(it.line.toLong(), it.column.toLong()) },
)

internal fun dev.appsync.ffi.GraphQlResponse.toResponse() =
    GraphQLResponse(dataJson?.let { parseJson(it).jsonObject }, errors.map { it.toGraphQLError() })

internal fun dev.appsync.ffi.ConnectionState.toState(): ConnectionState = when (this) {
    is dev.appsync.ffi.ConnectionState.Connecting -> ConnectionState.Connecting
    is dev.appsync.ffi.ConnectionState.Connected -> ConnectionState.Connected
    is dev.appsync.ffi.ConnectionState.Disrupted -> ConnectionState.Disrupted(reason)
    is dev.appsync.ffi.ConnectionState.Reconnecting -> ConnectionState.Reconnecting(attempt.toInt())
    is dev.appsync.ffi.ConnectionState.Disconnected -> ConnectionState.Disconnected
}

/** An event, or the end of the stream (null event with an optional error). */
internal sealed interface Delivery {
    data class Event(val event: SubscriptionEvent) : Delivery
    data class End(val error: AppSyncError?) : Delivery
}

internal fun FfiEvent.toDelivery(): Delivery = when (this) {
    is FfiEvent.Started -> Delivery.Event(SubscriptionEvent.Started)
    is FfiEvent.Data -> Delivery.Event(SubscriptionEvent.Data(parseJson(dataJson).jsonObject))
    is FfiEvent.Errors -> Delivery.Event(SubscriptionEvent.Errors(errors.map { it.toGraphQLError() }))
    is FfiEvent.Resubscribed -> Delivery.Event(SubscriptionEvent.Resubscribed)
    is FfiEvent.ConnectionChanged -> Delivery.Event(SubscriptionEvent.ConnectionChanged(state.toState()))
    is FfiEvent.Completed -> Delivery.End(null)
    is FfiEvent.Failed -> Delivery.End(AppSyncError.SubscriptionError(message, code, errors.map { it.toGraphQLError() }))
}
