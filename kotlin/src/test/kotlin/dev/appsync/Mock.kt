package dev.appsync

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.util.UUID

/**
 * The mock server the suite runs against: the one scripts/test.sh started (APPSYNC_MOCK_URL,
 * APPSYNC_MOCK_DIR), or one this suite starts from the workspace's `appsync` binary.
 */
object Mock {
    val url: String
    val dir: Path
    private val http = HttpClient.newHttpClient()

    init {
        val givenUrl = System.getenv("APPSYNC_MOCK_URL")
        val givenDir = System.getenv("APPSYNC_MOCK_DIR")
        if (givenUrl != null && givenDir != null) {
            url = givenUrl
            dir = Path.of(givenDir)
        } else {
            dir = Files.createTempDirectory("appsync-kotlin-mock")
            val process = ProcessBuilder(Path.of("..", "target", "debug", "appsync").toString(), "mock", "--port", "0", "--out-dir", dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start()
            Runtime.getRuntime().addShutdownHook(Thread { process.destroy() })
            val lines = process.inputStream.bufferedReader()
            var found: String? = null
            while (true) {
                val line = lines.readLine() ?: break
                if (line.trim().startsWith("GraphQL:")) found = line.substringAfter("GraphQL:").trim()
                if (line.startsWith("Press Ctrl-C")) break
            }
            url = found ?: error("the mock did not print its endpoint")
        }
    }

    val base: String get() = url.removeSuffix("/graphql")
    val outputs: Path get() = dir.resolve("amplify_outputs.json")

    /** A JWT minted by the mock for "userPools" or "oidc". */
    fun token(provider: String): String {
        val request = HttpRequest.newBuilder(URI.create("$base/__mock/token"))
            .POST(HttpRequest.BodyPublishers.ofString("""{"provider":"$provider"}"""))
            .build()
        val body = http.send(request, HttpResponse.BodyHandlers.ofString()).body()
        return Json.parseToJsonElement(body).jsonObject["token"]!!.jsonPrimitive.content
    }
}

/** Sets faults on the mock (POST /__mock/faults), e.g. `{"failNext": 2}`. */
fun Mock.faults(document: JsonObject) = control("POST", "/__mock/faults", document.toString())

/** Clears every fault (DELETE /__mock/faults). */
fun Mock.clearFaults() = control("DELETE", "/__mock/faults", null)

private fun Mock.control(method: String, path: String, body: String?) {
    val request = HttpRequest.newBuilder(URI.create("$base$path"))
        .method(method, body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody())
        .header("content-type", "application/json")
        .build()
    val response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString())
    check(response.statusCode() in 200..299) { "$method $path: ${response.statusCode()} ${response.body()}" }
}

/** The shared scenarios (tests/fixtures/scenarios.json) with this run's id prefix filled in. */
object Scenarios {
    private val prefix = "kotlin-${UUID.randomUUID().toString().take(8)}-"
    private val root: JsonObject = Json.parseToJsonElement(
        Files.readString(Path.of("..", "tests", "fixtures", "scenarios.json")).replace("{prefix}", prefix),
    ).jsonObject

    operator fun get(name: String): JsonObject = root[name]!!.jsonObject
}

fun JsonObject.text(key: String): String = this[key]!!.jsonPrimitive.content
fun JsonObject.obj(key: String): JsonObject = this[key]!!.jsonObject
fun JsonObject.element(key: String): JsonElement = this[key]!!
