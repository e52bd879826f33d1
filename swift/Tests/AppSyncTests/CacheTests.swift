import AppSync
import Foundation
import XCTest

/// The shared `cache` scenario (tests/fixtures/scenarios.json), with persistence in a SQLite file.
final class CacheTests: XCTestCase {
    let s = Scenarios["cache"]

    func tempDatabase(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("appsync-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    func testWatchedQueriesReadsAndWritesEvictAndARestartedClientAnsweringOfflineFromDisk() async throws {
        let db = try tempDatabase("cache.db")
        let options = ClientOptions(databaseURL: db, keyPrefix: s["keyPrefix"]!.text)
        let query = s["query"]!
        let document = query["document"]!.text
        do {
            let client = try AppSyncClient(contentsOf: Mock.outputs, options: options)
            try await client.hydrated()
            _ = try await client.mutate(s["create"]!["document"]!.text, variables: s["create"]!["variables"]).response()
            _ = try await client.query(document, variables: query["variables"], fetchPolicy: .networkOnly)

            var results = client.watchQuery(document, variables: query["variables"], fetchPolicy: .cacheOnly).makeAsyncIterator()
            func awaitData(_ expected: JSONValue?) async throws {
                while let result = try await results.next() {
                    if result.data == expected { return }
                }
                XCTFail("the watch ended before showing \(String(describing: expected))")
            }
            try await awaitData(s["expectCreated"])
            _ = try await client.mutate(s["update"]!["document"]!.text, variables: s["update"]!["variables"]).response()
            try await awaitData(s["expectUpdated"])
            let fragment = s["fragment"]!
            try await client.writeFragment(fragment["document"]!.text, key: fragment["key"]!.text, data: fragment["data"]!)
            try await awaitData(s["expectWritten"])

            let read = try await client.readQuery(document, variables: query["variables"])
            XCTAssertEqual(read, s["expectWritten"])
            let readFragment = try await client.readFragment(fragment["document"]!.text, key: fragment["key"]!.text)
            XCTAssertEqual(readFragment, s["expectFragment"])

            let local = s["writeQuery"]!
            try await client.writeQuery(document, data: local["data"]!, variables: local["variables"])
            let readLocal = try await client.readQuery(document, variables: local["variables"])
            XCTAssertEqual(readLocal, local["data"])

            try await client.evict(s["evictKey"]!.text)
            let afterEvict = try await client.readQuery(document, variables: query["variables"])
            XCTAssertNil(afterEvict)
            do {
                _ = try await client.query(document, variables: query["variables"], fetchPolicy: .cacheOnly)
                XCTFail("a cache-only miss throws")
            } catch AppSyncError.graphQL(_, let errors, _) {
                XCTAssertEqual(errors.first?.errorType, s["expectMissType"]?.text)
            }
            _ = try await client.query(document, variables: query["variables"])
        }

        // A cache-first watch over a whole cached result asks no network; cache-and-network does.
        // In memory, holding data the server does not have (it has `expectUpdated` by now).
        do {
            let client = try AppSyncClient(contentsOf: Mock.outputs, options: ClientOptions(disableOffline: true))
            try await client.writeQuery(document, data: s["expectWritten"]!, variables: query["variables"])
            let cacheFirst = Recorded<JSONValue?>()
            let firstStream = client.watchQuery(document, variables: query["variables"], fetchPolicy: .cacheFirst)
            let first = Task { for try await result in firstStream { cacheFirst.add(result.data) } }
            defer { first.cancel() }
            try await waitUntil("the cached result") { !cacheFirst.all.isEmpty }
            XCTAssertEqual(cacheFirst.all.first, s["expectWritten"])
            // A fetch would have written the server's data over it by now (the mock answers in
            // about a millisecond).
            try await Task.sleep(nanoseconds: 300_000_000)
            XCTAssertEqual(cacheFirst.all.count, 1, "results of the cache-first watch")
            let cached = try await client.readQuery(document, variables: query["variables"])
            XCTAssertEqual(cached, s["expectWritten"])

            let both = Recorded<JSONValue?>()
            let bothStream = client.watchQuery(document, variables: query["variables"], fetchPolicy: .cacheAndNetwork)
            let second = Task { for try await result in bothStream { both.add(result.data) } }
            defer { second.cancel() }
            try await waitUntil("the server's result") { both.all.contains(s["expectUpdated"]) }
            XCTAssertEqual(both.all.first, s["expectWritten"], "the cached result first")
        }

        // A restarted app with the network gone answers from the database.
        let outputs = try String(contentsOf: Mock.outputs, encoding: .utf8)
        let offline = outputs.replacingOccurrences(of: Mock.url, with: s["offlineEndpoint"]!.text)
        do {
            let client = try AppSyncClient(configJSON: offline, options: options)
            try await client.hydrated()
            let cached = try await client.query(document, variables: query["variables"], fetchPolicy: .cacheOnly)
            XCTAssertEqual(cached.data, s["expectUpdated"])
            do {
                _ = try await client.query(document, variables: query["variables"])
                XCTFail("the network is gone")
            } catch let error as AppSyncError {
                XCTAssertEqual(error.code, "NETWORK")
            }
        }
        do {
            var other = options
            other.keyPrefix = "someone-else"
            let client = try AppSyncClient(contentsOf: Mock.outputs, options: other)
            let isolated = try await client.readQuery(document, variables: query["variables"])
            XCTAssertNil(isolated, "keyPrefixes are isolated")
        }
        try AppSyncClient.resetDatabase(at: db)
    }

    /// Polls `condition` every 10 ms for up to 10 s.
    func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    func testACorruptDatabaseIsACacheErrorTheNetworkStillAnswersAndResetRecovers() async throws {
        let db = try tempDatabase("corrupt.db")
        try Data(repeating: 7, count: 4096).write(to: db)
        do {
            let client = try AppSyncClient(contentsOf: Mock.outputs, options: ClientOptions(databaseURL: db))
            do {
                try await client.hydrated()
                XCTFail("a corrupt database is an error")
            } catch AppSyncError.cache(_, let corrupt) {
                XCTAssertTrue(corrupt)
            }
            _ = try await client.query("{ listTodos(limit: 1) { items { id } } }")
        }
        try AppSyncClient.resetDatabase(at: db)
        let client = try AppSyncClient(contentsOf: Mock.outputs, options: ClientOptions(databaseURL: db))
        try await client.hydrated()
    }
}
