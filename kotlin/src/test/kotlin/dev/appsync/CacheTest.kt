package dev.appsync

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.JsonObject
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

/** The shared `cache` scenario (tests/fixtures/scenarios.json), with persistence in a SQLite file. */
class CacheTest {
    private val s = Scenarios["cache"]

    private fun JsonObject.doc() = text("document")
    private fun JsonObject.vars() = obj("variables")

    @Test
    fun `watched queries, reads and writes, evict, and a restarted client answering offline from disk`(): Unit = runBlocking {
        val db = Files.createTempDirectory("appsync-kotlin-cache").resolve("cache.db")
        val options = ClientOptions(databasePath = db, keyPrefix = s.text("keyPrefix"))
        val query = s.obj("query")
        AppSyncClient.fromFile(Mock.outputs, options = options).use { client ->
            client.hydrated()
            client.mutate(s.obj("create").doc(), s.obj("create").vars()).response()
            client.query(query.doc(), query.vars(), fetchPolicy = FetchPolicy.NETWORK_ONLY)

            val results = Channel<WatchResult>(Channel.UNLIMITED)
            val watch = launch { client.watchQuery(query.doc(), query.vars(), fetchPolicy = FetchPolicy.CACHE_ONLY).collect { results.send(it) } }
            suspend fun awaitData(expected: JsonObject) = withTimeout(10_000) {
                while (true) {
                    val result = results.receive()
                    if (result.response?.data == expected) break
                }
            }
            awaitData(s.obj("expectCreated"))
            client.mutate(s.obj("update").doc(), s.obj("update").vars()).response()
            awaitData(s.obj("expectUpdated"))
            val fragment = s.obj("fragment")
            client.writeFragment(fragment.doc(), fragment.text("key"), fragment.obj("data"))
            awaitData(s.obj("expectWritten"))
            watch.cancel()

            assertEquals(s.obj("expectWritten"), client.readQuery(query.doc(), query.vars()))
            assertEquals(s.obj("expectFragment"), client.readFragment(fragment.doc(), fragment.text("key")))

            val local = s.obj("writeQuery")
            client.writeQuery(query.doc(), local.obj("data"), local.vars())
            assertEquals(local.obj("data"), client.readQuery(query.doc(), local.vars()))

            client.evict(s.text("evictKey"))
            assertNull(client.readQuery(query.doc(), query.vars()))
            val miss = assertThrows<AppSyncError.GraphQLResponseError> {
                runBlocking { client.query(query.doc(), query.vars(), fetchPolicy = FetchPolicy.CACHE_ONLY) }
            }
            assertEquals(s.text("expectMissType"), miss.errors.first().errorType)

            client.query(query.doc(), query.vars())
        }

        // A cache-first watch over a whole cached result asks no network; cache-and-network does.
        // In memory, holding data the server does not have (it has `expectUpdated` by now).
        AppSyncClient.fromFile(Mock.outputs, options = ClientOptions(disableOffline = true)).use { client ->
            client.writeQuery(query.doc(), s.obj("expectWritten"), query.vars())
            val cacheFirst = Channel<WatchResult>(Channel.UNLIMITED)
            val first = launch { client.watchQuery(query.doc(), query.vars(), fetchPolicy = FetchPolicy.CACHE_FIRST).collect { cacheFirst.send(it) } }
            assertEquals(s.obj("expectWritten"), withTimeout(10_000) { cacheFirst.receive() }.response?.data)
            // A fetch would have written the server's data over it by now (the mock answers in
            // about a millisecond).
            delay(300)
            assertTrue(cacheFirst.tryReceive().isFailure, "the cache-first watch gave a second result")
            assertEquals(s.obj("expectWritten"), client.readQuery(query.doc(), query.vars()))
            val both = Channel<WatchResult>(Channel.UNLIMITED)
            val second = launch { client.watchQuery(query.doc(), query.vars(), fetchPolicy = FetchPolicy.CACHE_AND_NETWORK).collect { both.send(it) } }
            withTimeout(10_000) {
                assertEquals(s.obj("expectWritten"), both.receive().response?.data, "the cached result first")
                while (both.receive().response?.data != s.obj("expectUpdated")) continue
            }
            second.cancel()
            first.cancel()
        }

        // A restarted app with the network gone answers from the database.
        val offline = Files.readString(Mock.outputs).replace(Mock.url, s.text("offlineEndpoint"))
        AppSyncClient.fromConfig(offline, options = options).use { client ->
            client.hydrated()
            val cached = client.query(query.doc(), query.vars(), fetchPolicy = FetchPolicy.CACHE_ONLY)
            assertEquals(s.obj("expectUpdated"), cached.data)
            assertThrows<AppSyncError.NetworkError> { runBlocking { client.query(query.doc(), query.vars()) } }
        }
        AppSyncClient.fromFile(Mock.outputs, options = options.copy(keyPrefix = "someone-else")).use { client ->
            assertNull(client.readQuery(query.doc(), query.vars()), "keyPrefixes are isolated")
        }
        AppSyncClient.resetDatabase(db)
    }

    @Test
    fun `a corrupt database is a CacheError, the network still answers, and reset recovers`(): Unit = runBlocking {
        val db = Files.createTempDirectory("appsync-kotlin-corrupt").resolve("cache.db")
        Files.write(db, ByteArray(4096) { 7 })
        AppSyncClient.fromFile(Mock.outputs, options = ClientOptions(databasePath = db)).use { client ->
            val error = assertThrows<AppSyncError.CacheError> { runBlocking { client.hydrated() } }
            assertTrue(error.corrupt)
            assertEquals("CACHE", error.code)
            client.query("{ listTodos(limit: 1) { items { id } } }")
        }
        AppSyncClient.resetDatabase(db)
        AppSyncClient.fromFile(Mock.outputs, options = ClientOptions(databasePath = db)).use { it.hydrated() }
    }
}
