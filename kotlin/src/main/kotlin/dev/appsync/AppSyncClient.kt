package dev.appsync

import dev.appsync.ffi.AppSyncException
import dev.appsync.ffi.GraphQlRequest
import dev.appsync.ffi.OutboxListener
import dev.appsync.ffi.SubscriptionListener
import dev.appsync.ffi.WatchListener
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.channels.Channel
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
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
        /**
         * From the text of `amplify_outputs.json`, `amplifyconfiguration.json` or aws-exports JSON.
         * With [ClientOptions.databasePath] the cache persists; the database opens in the background
         * ([hydrated] waits for it).
         */
        fun fromConfig(
            configJson: String,
            sourceName: String = "amplify_outputs.json",
            providers: Providers = Providers(),
            options: ClientOptions = ClientOptions(),
        ): AppSyncClient = mapped {
            AppSyncClient(dev.appsync.ffi.AppSyncClient.withOptions(configJson, sourceName, providers.toFfi(), options.toFfi()))
        }

        /** From a config file on disk. */
        fun fromFile(path: Path, providers: Providers = Providers(), options: ClientOptions = ClientOptions()): AppSyncClient =
            fromConfig(Files.readString(path), path.fileName.toString(), providers, options)

        /** Deletes a cache database (and its WAL) so the next client starts empty: the way out of a corrupt file. */
        fun resetDatabase(path: Path) = mapped { dev.appsync.ffi.resetDatabase(path.toString()) }
    }

    /** Returns once the cache's database is open; throws [AppSyncError.CacheError] if it cannot be (queries still reach the network). */
    suspend fun hydrated() = mapped { ffi.hydrated() }

    /**
     * Runs a query under [fetchPolicy] (default cache-and-network: the network's result, written to the
     * cache). With [partialResults], GraphQL errors come back in the response instead of being thrown.
     */
    suspend fun query(
        document: String,
        variables: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        headers: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
        partialResults: Boolean = false,
        fetchPolicy: FetchPolicy? = null,
    ): GraphQLResponse = mapped {
        ffi.query(request(document, variables, operationName, authMode, headers, timeout, partialResults, fetchPolicy)).toResponse()
    }

    /**
     * Watches a query: the cached result (when the cache holds all of it), the network's per
     * [fetchPolicy], then a new result whenever a record it reads changes (another query, a mutation,
     * a subscription event, a cache write). Network failures arrive as [WatchResult.error] and the
     * watch goes on; cancelling the collector stops it. An invalid document throws at once.
     */
    fun watchQuery(
        document: String,
        variables: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        fetchPolicy: FetchPolicy? = null,
    ): Flow<WatchResult> = callbackFlow {
        val listener = object : WatchListener {
            override fun onResult(response: dev.appsync.ffi.GraphQlResponse) {
                trySend(WatchResult(response.toResponse(), null))
            }
            override fun onError(error: AppSyncException) {
                trySend(WatchResult(null, error.toAppSyncError()))
            }
        }
        val handle = mapped { ffi.watchQuery(request(document, variables, operationName, authMode, emptyMap(), null, false, fetchPolicy), listener) }
        awaitClose { handle.cancel(); handle.close() }
    }.buffer(Channel.UNLIMITED)

    /** The query's data from the cache, or null when the cache lacks part of it. */
    suspend fun readQuery(document: String, variables: JsonObject? = null, operationName: String? = null): JsonObject? = mapped {
        ffi.readQuery(request(document, variables, operationName, null, emptyMap(), null, false, null))?.let { parseJson(it).jsonObject }
    }

    /**
     * Writes [data] as the query's result: normalized, persisted, watchers notified. Returns what did not
     * match the document (stored as far as it was valid).
     */
    suspend fun writeQuery(document: String, data: JsonObject, variables: JsonObject? = null, operationName: String? = null): List<String> = mapped {
        ffi.writeQuery(request(document, variables, operationName, null, emptyMap(), null, false, null), data.toString())
    }

    /** Reads entity [key] (e.g. `Todo:1`) through a fragment document; null when the cache lacks part of it. */
    suspend fun readFragment(document: String, key: String, fragmentName: String? = null, variables: JsonObject? = null): JsonObject? = mapped {
        ffi.readFragment(document, key, fragmentName, variables?.toString())?.let { parseJson(it).jsonObject }
    }

    /** Writes [data] as the fields of entity [key] through a fragment document. */
    suspend fun writeFragment(document: String, key: String, data: JsonObject, fragmentName: String? = null, variables: JsonObject? = null): List<String> = mapped {
        ffi.writeFragment(document, key, data.toString(), fragmentName, variables?.toString())
    }

    /** Removes one record (e.g. `Todo:1`); queries reading it then miss. */
    suspend fun evict(key: String) = mapped { ffi.evict(key) }

    /** Drops the records no query reaches; returns their keys. */
    suspend fun gc(): List<String> = mapped { ffi.gc() }

    /** Every cached record, as one JSON object. */
    suspend fun extract(): JsonObject = mapped { parseJson(ffi.extract()).jsonObject }

    /** Replaces the cache's records with a snapshot from [extract]. */
    suspend fun restore(snapshot: JsonObject) = mapped { ffi.restore(snapshot.toString()) }

    /**
     * Runs a mutation the offline-first way. With offline support on (the default) it is queued
     * durably and its [optimisticResponse] shown in the cache at once; it is sent in order when
     * the network allows, retried through network trouble, and the returned handle comes back
     * before the server answers: await [PendingMutation.response] for the answer. With
     * `ClientOptions(disableOffline = true)` it is sent at once and a failure is thrown here.
     * [update] keeps other cached queries in step, on the optimistic pass and on the server's
     * answer (see [MutationUpdate]).
     */
    suspend fun mutate(
        document: String,
        variables: JsonObject? = null,
        optimisticResponse: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        headers: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
        mutationId: String? = null,
        update: MutationUpdate? = null,
    ): PendingMutation = mapped {
        PendingMutation(
            ffi.mutate(
                request(document, variables, operationName, authMode, headers, timeout, false, null),
                optimisticResponse?.toString(),
                mutationId,
                update?.let(::UpdateAdapter),
            ),
        )
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
        val handle = mapped { ffi.subscribe(request(document, variables, operationName, authMode, emptyMap(), null, false, null), listener) }
        awaitClose { handle.cancel(); handle.close() }
    }.buffer(Channel.UNLIMITED)

    /**
     * Queues a mutation in the durable outbox (committed before this returns) and shows
     * [optimisticResponse] at once; returns its id. It is sent in order whenever the network
     * allows, retried through network trouble, and its [MutationOutcome] comes through
     * [mutationOutcome] and [outboxEvents], also after the app restarts.
     */
    suspend fun enqueue(
        document: String,
        variables: JsonObject? = null,
        optimisticResponse: JsonObject? = null,
        operationName: String? = null,
        authMode: AuthMode? = null,
        mutationId: String? = null,
        update: MutationUpdate? = null,
    ): String = mapped {
        ffi.enqueueMutation(
            request(document, variables, operationName, authMode, emptyMap(), null, false, null),
            optimisticResponse?.toString(),
            mutationId,
            update?.let(::UpdateAdapter),
        )
    }

    /** Waits for a queued mutation's outcome (for as long as the device is offline). */
    suspend fun mutationOutcome(id: String): MutationOutcome = mapped { ffi.mutationOutcome(id).toOutcome() }

    /** Every queued mutation in order, pending and parked. */
    suspend fun outboxEntries(): List<QueuedMutation> = mapped { ffi.outboxEntries().map { it.toQueued() } }

    /** Sends a parked mutation again. */
    suspend fun retryMutation(id: String) = mapped { ffi.retryMutation(id) }

    /** Replaces a queued mutation's variables (and optimistic response, when given). */
    suspend fun editMutation(id: String, variables: JsonObject, optimisticResponse: JsonObject? = null) =
        mapped { ffi.editMutation(id, variables.toString(), optimisticResponse?.toString()) }

    /** Removes a queued mutation for good; its optimistic response is rolled back. */
    suspend fun discardMutation(id: String) = mapped { ffi.discardMutation(id) }

    /** Reports connectivity (from `ConnectivityManager.NetworkCallback`): offline nothing is sent; back online the queue drains. */
    fun setNetworkOnline(online: Boolean) = mapped { ffi.setNetworkOnline(online) }

    /** Sets (or clears) the conflict resolver; without one, conflicts park the mutation. */
    fun setConflictResolver(resolver: ConflictResolver?) = ffi.setConflictHandler(resolver?.let { ResolverHandler(it) })

    /** The outbox's events from now on, until the collector is cancelled. */
    fun outboxEvents(): Flow<OutboxEvent> = callbackFlow {
        val listener = object : OutboxListener {
            override fun onEvent(event: dev.appsync.ffi.OutboxEvent) {
                trySend(event.toEvent())
            }
        }
        val handle = mapped { ffi.watchOutbox(listener) }
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
        fetchPolicy: FetchPolicy?,
    ) = GraphQlRequest(
        document = document,
        variablesJson = variables?.toString(),
        operationName = operationName,
        authMode = authMode?.toFfi(),
        headers = headers,
        timeoutMs = timeout?.inWholeMilliseconds?.toULong(),
        partialResults = partialResults,
        fetchPolicy = fetchPolicy?.toFfi(),
    )
}
