package dev.appsync

import dev.appsync.ffi.ConflictHandler
import dev.appsync.ffi.ConflictInfo
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.isActive
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject

/** A mutation [AppSyncClient.mutate] took: queued (offline support on) or already answered. */
class PendingMutation internal constructor(private val ffi: dev.appsync.ffi.PendingMutation) {
    /** The client mutation id. */
    val id: String get() = ffi.id()

    /** Waits for the outcome (as long as the device is offline). */
    suspend fun outcome(): MutationOutcome = mapped { ffi.outcome().toOutcome() }

    /**
     * Waits for the server's answer (as long as the device is offline); null when the mutation
     * was discarded. A parked mutation throws the [AppSyncError] that parked it (it stays queued:
     * retry, edit or discard it).
     */
    suspend fun response(): GraphQLResponse? = mapped { ffi.response()?.toResponse() }
}

/**
 * The cache as a [MutationUpdate] sees it. Reads see everything, optimistic layers too;
 * [writeQuery] writes into the mutation's optimistic layer on the optimistic pass (rolled back with
 * it) and into the cache itself on the server's answer.
 */
class MutationCache internal constructor(private val ffi: dev.appsync.ffi.MutationCache) {
    /** True on the optimistic pass, false on the server's answer. */
    val isOptimistic: Boolean get() = ffi.isOptimistic()

    /** The query's data, or null when the cache lacks part of it. */
    suspend fun readQuery(document: String, variables: JsonObject? = null, operationName: String? = null): JsonObject? = mapped {
        ffi.readQuery(cacheRequest(document, variables, operationName))?.let { parseJson(it).jsonObject }
    }

    /** Entity [key] (e.g. `Todo:1`) through a fragment document; null when the cache lacks part of it. */
    suspend fun readFragment(document: String, key: String, fragmentName: String? = null, variables: JsonObject? = null): JsonObject? = mapped {
        ffi.readFragment(document, key, fragmentName, variables?.toString())?.let { parseJson(it).jsonObject }
    }

    /** Writes [data] as the query's result; returns what did not match the document. */
    suspend fun writeQuery(document: String, data: JsonObject, variables: JsonObject? = null, operationName: String? = null): List<String> = mapped {
        ffi.writeQuery(cacheRequest(document, variables, operationName), data.toString())
    }
}

private fun cacheRequest(document: String, variables: JsonObject?, operationName: String?) = dev.appsync.ffi.GraphQlRequest(
    document = document,
    variablesJson = variables?.toString(),
    operationName = operationName,
    authMode = null,
    headers = emptyMap(),
    timeoutMs = null,
    partialResults = false,
    fetchPolicy = null,
)

/**
 * Like Apollo's `update(cache, result)`: keeps other cached queries (a list, a count) in step with
 * a mutation. It runs on the optimistic response (when there is one) and again on the server's
 * answer ([data] is the mutation's `data`), so it must be idempotent: write what the list should
 * hold, don't append blindly. It lives in memory: a mutation queued in an earlier run of the app
 * replays without it (its result still reaches the cache). What it throws is logged and ignored;
 * the mutation goes on.
 */
fun interface MutationUpdate {
    suspend fun update(cache: MutationCache, data: JsonObject)
}

/** The app's update function as the FFI's. */
internal class UpdateAdapter(private val update: MutationUpdate) : dev.appsync.ffi.MutationUpdate {
    override suspend fun update(cache: dev.appsync.ffi.MutationCache, dataJson: String) {
        val data = parseJson(dataJson) as? JsonObject ?: return
        try {
            update.update(MutationCache(cache), data)
        } catch (e: Throwable) {
            // Only the pass's own cancellation goes on as such; anything the app's code throws
            // (a timeout inside it included) is logged and the mutation goes on.
            if (!currentCoroutineContext().isActive) throw e
            java.util.logging.Logger.getLogger("dev.appsync").warning("a mutation's update function threw: $e")
        }
    }
}

/** Why a queued mutation waits for the app. */
enum class ParkReason { REJECTED, UNAUTHORIZED, CONFLICT }

/** How a queued mutation ended. */
sealed interface MutationOutcome {
    /** The server applied it; its answer is also in the cache. */
    data class Succeeded(val data: JsonObject?, val errors: List<GraphQLError>) : MutationOutcome
    /** Waiting for the app: [AppSyncClient.retryMutation], [AppSyncClient.editMutation] or [AppSyncClient.discardMutation]. */
    data class Parked(val reason: ParkReason, val code: String, val message: String) : MutationOutcome
    data object Discarded : MutationOutcome
}

/** What the outbox reports, in order. */
sealed interface OutboxEvent {
    data class Enqueued(val id: String) : OutboxEvent
    data class Sending(val id: String, val attempt: Int) : OutboxEvent
    /** A retryable failure ([code] as in [AppSyncError.code]); the next attempt after [delayMs], sooner when back online. */
    data class Retrying(val id: String, val attempt: Int, val delayMs: Long, val code: String, val message: String) : OutboxEvent
    data class Done(val id: String, val outcome: MutationOutcome) : OutboxEvent
    /** The network status changed (reported with [AppSyncClient.setNetworkOnline] or learned from a request). */
    data class Network(val online: Boolean) : OutboxEvent
}

/** A queued mutation, pending or parked. */
data class QueuedMutation(
    val id: String,
    val document: String,
    val variables: JsonObject?,
    val optimisticResponse: JsonObject?,
    val enqueuedAtMs: Long,
    val attempts: Int,
    val parked: Parked?,
) {
    /** Why it is parked; [serverData] is the server's item for conflicts. */
    data class Parked(val reason: ParkReason, val message: String, val errorType: String?, val serverData: JsonElement?)
}

/** A conflict, for the app's [ConflictResolver]. */
data class Conflict(
    val mutationId: String,
    val document: String,
    val variables: JsonObject?,
    /** The server's current item, when it could be had. */
    val serverData: JsonObject?,
    /** How often this mutation was already retried after a conflict. */
    val retries: Int,
    /** `ConflictUnhandled` or `DynamoDB:ConditionalCheckFailedException`. */
    val errorType: String,
)

/** What the resolver decides. */
sealed interface ConflictResolution {
    /** Send again with these variables (e.g. with the server's `_version`). */
    data class Retry(val variables: JsonObject) : ConflictResolution
    /** Give the mutation up; the server's item goes to the cache. */
    data object Discard : ConflictResolution
    /** Leave it to the app: parked, listed by [AppSyncClient.outboxEntries]. */
    data object Park : ConflictResolution
}

/** Settles conflicts. Without one, a conflicted mutation is parked (the same default on every platform). */
fun interface ConflictResolver {
    suspend fun resolve(conflict: Conflict): ConflictResolution
}

internal fun dev.appsync.ffi.ParkReason.toReason() = when (this) {
    dev.appsync.ffi.ParkReason.REJECTED -> ParkReason.REJECTED
    dev.appsync.ffi.ParkReason.UNAUTHORIZED -> ParkReason.UNAUTHORIZED
    dev.appsync.ffi.ParkReason.CONFLICT -> ParkReason.CONFLICT
}

internal fun dev.appsync.ffi.MutationOutcome.toOutcome(): MutationOutcome = when (this) {
    is dev.appsync.ffi.MutationOutcome.Succeeded ->
        MutationOutcome.Succeeded(dataJson?.let { parseJson(it).jsonObject }, errors.map { it.toGraphQLError() })
    is dev.appsync.ffi.MutationOutcome.Parked -> MutationOutcome.Parked(reason.toReason(), code, message)
    is dev.appsync.ffi.MutationOutcome.Discarded -> MutationOutcome.Discarded
}

internal fun dev.appsync.ffi.OutboxEvent.toEvent(): OutboxEvent = when (this) {
    is dev.appsync.ffi.OutboxEvent.Enqueued -> OutboxEvent.Enqueued(id)
    is dev.appsync.ffi.OutboxEvent.Sending -> OutboxEvent.Sending(id, attempt.toInt())
    is dev.appsync.ffi.OutboxEvent.Retrying -> OutboxEvent.Retrying(id, attempt.toInt(), delayMs.toLong(), code, message)
    is dev.appsync.ffi.OutboxEvent.Done -> OutboxEvent.Done(id, outcome.toOutcome())
    is dev.appsync.ffi.OutboxEvent.Network -> OutboxEvent.Network(online)
}

internal fun dev.appsync.ffi.QueuedMutation.toQueued() = QueuedMutation(
    id = id,
    document = document,
    variables = variablesJson?.let { parseJson(it).jsonObject },
    optimisticResponse = optimisticJson?.let { parseJson(it).jsonObject },
    enqueuedAtMs = enqueuedAtMs,
    attempts = attempts.toInt(),
    parked = parked?.let { QueuedMutation.Parked(it.reason.toReason(), it.message, it.errorType, it.serverDataJson?.let(::parseJson)) },
)

/** The app's resolver as the FFI's handler. */
internal class ResolverHandler(private val resolver: ConflictResolver) : ConflictHandler {
    override suspend fun resolve(conflict: ConflictInfo): dev.appsync.ffi.ConflictResolution {
        val decision = resolver.resolve(
            Conflict(
                mutationId = conflict.mutationId,
                document = conflict.document,
                variables = conflict.variablesJson?.let { parseJson(it).jsonObject },
                serverData = conflict.serverDataJson?.let { parseJson(it) as? JsonObject },
                retries = conflict.retries.toInt(),
                errorType = conflict.errorType,
            ),
        )
        return when (decision) {
            is ConflictResolution.Retry -> dev.appsync.ffi.ConflictResolution.Retry(decision.variables.toString())
            ConflictResolution.Discard -> dev.appsync.ffi.ConflictResolution.Discard
            ConflictResolution.Park -> dev.appsync.ffi.ConflictResolution.Park
        }
    }
}
