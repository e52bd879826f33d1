package dev.appsync

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The shared `outbox` scenario (tests/fixtures/scenarios.json) with a resolver written in Kotlin. */
class OutboxTest {
    private val s = Scenarios["outbox"]

    private fun JsonObject.doc() = text("document")
    private fun JsonObject.vars() = obj("variables")

    @Test
    fun `offline changes show at once, drain in order, park, discard, and a Kotlin resolver settles a conflict`(): Unit = runBlocking {
        AppSyncClient.fromFile(Mock.outputs).use { client ->
            val events = Channel<OutboxEvent>(Channel.UNLIMITED)
            val watching = launch { client.outboxEvents().collect { events.send(it) } }
            // Let the collector subscribe before anything happens (it registers on another thread).
            kotlinx.coroutines.delay(200)

            client.setNetworkOnline(false)
            val create = s.obj("create")
            val update = s.obj("update")
            // `mutate` queues (offline support is on by default): the handle comes back at once.
            val pending = client.mutate(create.doc(), create.vars(), optimisticResponse = create.obj("optimistic"))
            val created = pending.id
            val updated = client.enqueue(update.doc(), update.vars(), optimisticResponse = update.obj("optimistic"))
            val fragment = s.obj("fragment")
            assertEquals(s.obj("expectShown"), client.readFragment(fragment.doc(), fragment.text("key")), "optimistic, at once")
            assertEquals(2, client.outboxEntries().size)

            client.setNetworkOnline(true)
            for (id in listOf(created, updated)) {
                assertTrue(withTimeout(20_000) { client.mutationOutcome(id) } is MutationOutcome.Succeeded)
            }
            assertEquals(create.obj("optimistic").keys, withTimeout(20_000) { pending.response() }!!.data!!.keys, "the server's answer through the handle")
            val get = s.obj("get")
            assertEquals(s.obj("expectServer"), client.query(get.doc(), get.vars(), fetchPolicy = FetchPolicy.NETWORK_ONLY).data)

            val rejection = client.mutate(s.obj("rejected").doc(), s.obj("rejected").vars())
            val rejected = rejection.id
            val thrown = runCatching { withTimeout(20_000) { rejection.response() } }.exceptionOrNull()
            assertTrue(thrown is AppSyncError.GraphQLResponseError, "a parked mutation's response() throws what parked it: $thrown")
            val parked = withTimeout(20_000) { client.mutationOutcome(rejected) }
            assertEquals(ParkReason.REJECTED, (parked as MutationOutcome.Parked).reason)
            assertEquals("GRAPHQL", parked.code)
            assertNotNull(client.outboxEntries().single().parked)
            client.discardMutation(rejected)
            assertTrue(client.outboxEntries().isEmpty())

            val seen = mutableListOf<Conflict>()
            client.setConflictResolver { conflict ->
                seen += conflict
                ConflictResolution.Discard
            }
            val conflicted = client.enqueue(s.obj("conflict").doc(), s.obj("conflict").vars())
            assertEquals(MutationOutcome.Discarded, withTimeout(20_000) { client.mutationOutcome(conflicted) })
            assertEquals(s.text("expectConflictType"), seen.single().errorType)
            assertEquals("edited offline", seen.single().serverData?.get("name")?.jsonPrimitive?.content)

            val received = mutableListOf<OutboxEvent>()
            kotlinx.coroutines.withTimeoutOrNull(5_000) {
                while (received.count { it is OutboxEvent.Done } < 5) received += events.receive()
            }
            assertEquals(5, received.count { it is OutboxEvent.Done }, "$received")
            assertTrue(received.contains(OutboxEvent.Network(true)), "$received")
            watching.cancel()
        }
    }
}
