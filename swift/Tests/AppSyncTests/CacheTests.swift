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
