package dev.appsync

import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.filterIsInstance
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.delay
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.put
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files

class AppSyncClientTest {
    private val iam = Scenarios["authModes"].obj("iam")

    /** Providers written in Kotlin: tokens fetched from the mock, IAM and Lambda from the fixture. */
    private val providers = Providers(
        userPools = { AuthToken(Mock.token("userPools")) },
        oidc = { AuthToken(Mock.token("oidc")) },
        lambda = { AuthToken(Scenarios["authModes"].text("lambdaToken")) },
        iam = { AwsCredentials(iam.text("accessKeyId"), iam.text("secretAccessKey")) },
    )

    private fun client(p: Providers = providers) = AppSyncClient.fromFile(Mock.outputs, p)

    @Test
    fun `creates and reads back through the config file the mock wrote`(): Unit = runBlocking {
        client().use { client ->
            val create = Scenarios["create"]
            val created = client.mutate(create.text("document"), create.obj("variables")).response()!!
            assertEquals(create.obj("expect"), created.data)
            val get = Scenarios["get"]
            assertEquals(get.obj("expect"), client.query(get.text("document"), get.obj("variables")).data)
        }
    }

    @Test
    fun `every auth mode works with providers written in Kotlin`(): Unit = runBlocking {
        client().use { client ->
            val scenario = Scenarios["authModes"]
            for (mode in scenario["modes"]!!.jsonArray.map { AuthMode.valueOf(it.jsonPrimitive.content) }) {
                val response = client.query(scenario.text("document"), authMode = mode)
                assertNotNull(response.data?.get("listTodos"), "$mode")
            }
        }
    }

    @Test
    fun `a GraphQL error arrives as GraphQLResponseError with the AppSync fields`(): Unit = runBlocking {
        client().use { client ->
            val scenario = Scenarios["graphqlError"]
            val error = assertThrows<AppSyncError.GraphQLResponseError> { runBlocking { client.query(scenario.text("document")) } }
            assertEquals(scenario.text("expectCode"), error.code)
            assertEquals(scenario.text("expectErrorType"), error.errors.first().errorType)
            assertEquals(scenario.element("expectPath"), error.errors.first().path)
            assertNotNull(error.data?.let { it as? kotlinx.serialization.json.JsonObject }?.get("listTodos"), "partial data kept")
            val partial = client.query(scenario.text("document"), partialResults = true)
            assertEquals(1, partial.errors.size)
        }
    }

    @Test
    fun `data a tree parse rejects is an InvalidResponseError and nothing of it is cached`(): Unit = runBlocking {
        val scenario = Scenarios["badData"]
        val document = scenario.text("document")
        client().use { client ->
            try {
                for (body in scenario.element("bodies").jsonArray) {
                    Mock.faults(buildJsonObject {
                        put("answerNext", 1)
                        put("answer", body.jsonPrimitive.content)
                    })
                    val error = assertThrows<AppSyncError.InvalidResponseError> { runBlocking { client.query(document) } }
                    assertEquals(scenario.text("expectCode"), error.code)
                    assertNull(client.readQuery(document), body.toString())
                }
            } finally {
                Mock.clearFaults()
            }
        }
    }

    @Test
    fun `a network error arrives as NetworkError`(): Unit = runBlocking {
        val scenario = Scenarios["networkError"]
        val config = """{"data":{"url":"${scenario.text("endpoint")}","default_authorization_type":"NONE"}}"""
        AppSyncClient.fromConfig(config).use { client ->
            val error = assertThrows<AppSyncError.NetworkError> { runBlocking { client.query("{ listTodos { items { id } } }") } }
            assertEquals(scenario.text("expectCode"), error.code)
            assertTrue(error.isTransient)
        }
    }

    @Test
    fun `a bad config and a failing provider are typed errors`(): Unit = runBlocking {
        val config = assertThrows<AppSyncError.ConfigError> {
            AppSyncClient.fromConfig("""{"data":{"url":42,"default_authorization_type":"API_KEY"}}""")
        }
        assertEquals("data.url", config.key)
        assertEquals("CONFIG", config.code)
        client(Providers(lambda = { throw IllegalStateException("identity service down") })).use { client ->
            val error = assertThrows<AppSyncError.AuthError> {
                runBlocking { client.query("{ listTodos { items { id } } }", authMode = AuthMode.AWS_LAMBDA) }
            }
            assertTrue(error.message!!.contains("identity service down"), error.message)
        }
        client().use { client ->
            assertThrows<AppSyncError.InvalidDocumentError> { runBlocking { client.query("query { broken(") } }
        }
    }

    @Test
    fun `a subscription receives the event and stops on cancel`(): Unit = runBlocking {
        client().use { client ->
            val scenario = Scenarios["subscription"]
            val events = Channel<SubscriptionEvent>(Channel.UNLIMITED)
            val job = launch {
                client.subscribe(scenario.text("document"), scenario.obj("variables")).collect { events.send(it) }
            }
            withTimeout(10_000) { while (events.receive() != SubscriptionEvent.Started) Unit }
            val trigger = scenario.obj("trigger")
            client.mutate(trigger.text("document"), trigger.obj("variables")).response()!!
            val data = withTimeout(10_000) {
                var event = events.receive()
                while (event !is SubscriptionEvent.Data) event = events.receive()
                event
            }
            assertEquals(scenario.obj("expect"), data.data)

            job.cancel()
            job.join()
            val after = scenario.obj("afterCancel")
            client.mutate(after.text("document"), after.obj("variables")).response()!!
            delay(1_000)
            val late = events.tryReceive().getOrNull()
            assertTrue(late !is SubscriptionEvent.Data, "no event after cancel: $late")
        }
    }

    @Test
    fun `subscriptions are a Flow and a denied one ends with an AppSyncError`(): Unit = runBlocking {
        client().use { client ->
            val error = assertThrows<AppSyncError.SubscriptionError> {
                runBlocking {
                    withTimeout(10_000) { client.subscribe("subscription { onCreateSecret { id } }").filterIsInstance<SubscriptionEvent.Data>().first() }
                }
            }
            assertEquals("GRAPHQL", error.code)
            assertEquals("Unauthorized", error.errors.first().errorType)
        }
    }

    @Test
    fun `the jar carries the native library under JNA's resource path`() {
        val resource = javaClass.classLoader.getResource("linux-x86-64/libappsync_ffi.so")
        assertNotNull(resource)
        assertTrue(Files.size(java.nio.file.Path.of(resource!!.toURI())) > 0)
    }
}
