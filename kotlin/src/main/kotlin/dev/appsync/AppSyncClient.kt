package dev.appsync

import dev.appsync.ffi.GraphQlRequest
import dev.appsync.ffi.SubscriptionListener
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.channels.Channel
import kotlinx.serialization.json.JsonObject
import java.nio.file.Files
import java.nio.file.Path
import kotlin.time.Duration

/**
 * An AWS AppSync client over the Rust core. Thread-safe; keep one per API and [close] it when done.
 *
 * ```
 * val client = AppSyncClient.fromFile(Path.of("amplify_outputs.json"), Providers(userPools = { force -> fetchToken(force) }))
 * val response = client.query("query { listTodos { items { id name } } }")
 * client.subscribe("subscription { onCreateTodo { id name } }").collect { event -> … }
 * ```
 */
class AppSyncClient private constructor(private val ffi: dev.appsync.ffi.AppSyncClient) : AutoCloseable {
    companion object {
        /** From the text of `amplify_outputs.json`, `amplifyconfiguration.json` or aws-exports JSON. */
        fun fromConfig(configJson: String, sourceName: String = "amplify_outputs.json", providers: Providers = Providers()): AppSyncClient =
            mapped { AppSyncClient(dev.appsync.ffi.AppSyncClient(configJson, sourceName, providers.toFfi())) }

        /** From a config file on disk. */
        fun fromFile(path: Path, providers: Providers = Providers()): AppSyncClient =
            fromConfig(Files.readString(path), path.fileName.toString(), providers)
    }

    /** Runs a query. With [partialResults], GraphQL errors come back in the response instead of being thrown. */
    suspend fun query(
        document: String,
        variables: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        headers: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
        partialResults: Boolean = false,
    ): GraphQLResponse = mapped {
        ffi.query(request(document, variables, operationName, authMode, headers, timeout, partialResults)).toResponse()
    }

    /** Runs a mutation. */
    suspend fun mutate(
        document: String,
        variables: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        headers: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
        partialResults: Boolean = false,
    ): GraphQLResponse = mapped {
        ffi.mutate(request(document, variables, operationName, authMode, headers, timeout, partialResults)).toResponse()
    }

    /**
     * Subscribes. The Flow emits events until it is cancelled (which sends `stop`); a failure ends
     * it with an [AppSyncError]. The connection is shared with other subscriptions and recovers by
     * itself: watch for [SubscriptionEvent.Resubscribed] to catch up after an outage.
     */
    fun subscribe(
        document: String,
        variables: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
    ): Flow<SubscriptionEvent> = callbackFlow {
        val listener = object : SubscriptionListener {
            override fun onEvent(event: dev.appsync.ffi.SubscriptionEvent) {
                when (val delivery = event.toDelivery()) {
                    is Delivery.Event -> trySend(delivery.event)
                    is Delivery.End -> close(delivery.error)
                }
            }
        }
        val handle = mapped { ffi.subscribe(request(document, variables, operationName, authMode, emptyMap(), null, false), listener) }
        awaitClose { handle.cancel(); handle.close() }
    }.buffer(Channel.UNLIMITED)

    /** Reconnects realtime connections now: call it when the device's network changes. */
    fun reconnectRealtime() = ffi.reconnectRealtime()

    override fun close() = ffi.close()

    private fun request(
        document: String,
        variables: JsonObject?,
        operationName: String?,
        authMode: AuthMode?,
        headers: Map<String, String>,
        timeout: Duration?,
        partialResults: Boolean,
    ) = GraphQlRequest(
        document = document,
        variablesJson = variables?.toString(),
        operationName = operationName,
        authMode = authMode?.toFfi(),
        headers = headers,
        timeoutMs = timeout?.inWholeMilliseconds?.toULong(),
        partialResults = partialResults,
    )
}
