package dev.appsync

import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import kotlinx.serialization.json.put
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Collections
import kotlin.time.Duration.Companion.milliseconds

/** The shared `outboxUpdate` and `outboxFaults` scenarios (tests/fixtures/scenarios.json). */
class OutboxMoreTest {
    private fun JsonObject.doc() = text("document")
    private fun JsonObject.vars() = obj("variables")

    @Test
    fun `a Kotlin update function keeps a cached list in step, optimistically and then for real`(): Unit = runBlocking {
        val s = Scenarios["outboxUpdate"]
        val list = s.obj("list")
        AppSyncClient.fromFile(Mock.outputs).use { client ->
            client.writeQuery(list.doc(), s.obj("seed"), list.vars())
            val passes = Collections.synchronizedList(mutableListOf<Boolean>())
            var kept: MutationCache? = null
            // Idempotent: drop any item with the new id, then append it.
            val update = MutationUpdate { cache, data ->
                passes.add(cache.isOptimistic)
                kept = cache
                val current = cache.readQuery(list.doc(), list.vars()) ?: return@MutationUpdate
                val item = data.obj("createTodo")
                val items = current.obj("listTodos")["items"]!!.jsonArray.filter { it.jsonObject["id"] != item["id"] } +
                    buildJsonObject { put("__typename", "Todo"); put("id", item["id"]!!); put("name", item["name"]!!) }
                val listed = JsonObject(current + ("listTodos" to JsonObject(current.obj("listTodos") + ("items" to JsonArray(items)))))
                cache.writeQuery(list.doc(), listed, list.vars())
            }
            suspend fun items() = client.readQuery(list.doc(), list.vars())!!.obj("listTodos")["items"]

            client.setNetworkOnline(false)
            val create = s.obj("create")
            val pending = client.mutate(create.doc(), create.vars(), optimisticResponse = create.obj("optimistic"), update = update)
            assertEquals(s["expectItems"], items(), "shown at once")
            assertEquals(listOf(true), passes.toList())

            client.setNetworkOnline(true)
            assertNotNull(withTimeout(20_000) { pending.response() })
            assertEquals(s["expectItems"], items(), "held once, by the cache itself")
            assertEquals(s["expectPasses"]!!.jsonArray.map { it.jsonPrimitive.content.toBoolean() }, passes.toList())
            val late = runCatching { kept!!.writeQuery(list.doc(), s.obj("seed"), list.vars()) }.exceptionOrNull()
            assertTrue(late is AppSyncError.CacheError, "a cache kept past its pass refuses writes: $late")
            assertEquals(s.text("expectLateWriteCode"), (late as AppSyncError).code)
        }
    }

    @Test
    fun `faults from the mock are retried until each mutation goes through, and a 401 refreshes the token`(): Unit = runBlocking {
        val s = Scenarios["outboxFaults"]
        val asked = Collections.synchronizedList(mutableListOf<Boolean>())
        val providers = Providers(userPools = TokenSource { force -> asked.add(force); AuthToken(Mock.token("userPools")) })
        val options = ClientOptions(
            retryBase = s.obj("options")["retryBaseMs"]!!.jsonPrimitive.long.milliseconds,
            retryCap = s.obj("options")["retryCapMs"]!!.jsonPrimitive.long.milliseconds,
        )
        AppSyncClient.fromFile(Mock.outputs, providers, options).use { client ->
            val events = Collections.synchronizedList(mutableListOf<OutboxEvent>())
            val watching = launch { client.outboxEvents().collect { events.add(it) } }
            delay(200)
            try {
                for (element in s["steps"]!!.jsonArray) {
                    val step = element.jsonObject
                    Mock.faults(step.obj("faults"))
                    val create = step.obj("create")
                    val pending = client.mutate(create.doc(), create.vars())
                    assertNotNull(withTimeout(20_000) { pending.response() }, step.text("name"))
                    Mock.clearFaults()
                    delay(50) // the events of this mutation reach the collector
                    val retries = events.toList().filterIsInstance<OutboxEvent.Retrying>().filter { it.id == pending.id }
                    val allowed = step["minRetries"]!!.jsonPrimitive.int..step["maxRetries"]!!.jsonPrimitive.int
                    assertTrue(retries.size in allowed, "${step.text("name")}: $retries")
                    for (retry in retries) {
                        assertEquals(step["code"]?.jsonPrimitive?.content, retry.code)
                        assertTrue(retry.delayMs >= (step["minDelayMs"]?.jsonPrimitive?.long ?: 0), "$retry")
                    }
                }
                for (element in s["steps"]!!.jsonArray) {
                    val id = element.jsonObject.obj("create").obj("variables").obj("input")["id"]!!
                    val got = client.query(s.obj("get").doc(), buildJsonObject { put("id", id) }, fetchPolicy = FetchPolicy.NETWORK_ONLY)
                    assertEquals(JsonPrimitive(1), got.data!!.obj("getTodo")["_version"], "$id applied once")
                }

                val refresh = s.obj("refresh")
                Mock.faults(refresh.obj("faults"))
                val create = refresh.obj("create")
                val pending = client.mutate(create.doc(), create.vars(), authMode = AuthMode.AMAZON_COGNITO_USER_POOLS)
                assertNotNull(withTimeout(20_000) { pending.response() })
                assertTrue(asked.size >= 2 && asked.contains(true), "asked again with forceRefresh: $asked")
            } finally {
                Mock.clearFaults()
                watching.cancel()
            }
        }
    }

    @Test
    fun `outbox options that cannot work are a config error`() {
        val thrown = assertThrows(AppSyncError.ConfigError::class.java) {
            AppSyncClient.fromFile(Mock.outputs, options = ClientOptions(retryBase = 0.milliseconds))
        }
        assertEquals("retryBaseMs", thrown.key)
    }
}
