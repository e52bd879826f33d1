import AppSync
import Foundation
import XCTest

/// Collects values from the binding's threads.
final class Recorded<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T] = []
    func add(_ value: T) { lock.lock(); values.append(value); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return values }
}

/// The shared `outboxUpdate` and `outboxFaults` scenarios (tests/fixtures/scenarios.json).
final class OutboxMoreTests: XCTestCase {
    func testASwiftUpdateFunctionKeepsACachedListInStepOptimisticallyThenForReal() async throws {
        let s = Scenarios["outboxUpdate"]
        let list = s["list"]!
        let client = try AppSyncClient(contentsOf: Mock.outputs)
        try await client.writeQuery(list["document"]!.text, data: s["seed"]!, variables: list["variables"])
        let passes = Recorded<Bool>()
        let kept = Recorded<MutationCache>()
        // Idempotent: drop any item with the new id, then append it.
        let update: MutationUpdate = { cache, data in
            passes.add(cache.isOptimistic)
            kept.add(cache)
            guard let current = try await cache.readQuery(list["document"]!.text, variables: list["variables"]),
                  case .array(let items)? = current["listTodos"]?["items"],
                  let item = data["createTodo"] else { return }
            let kept = items.filter { $0["id"] != item["id"] }
            let added: JSONValue = .object(["__typename": .string("Todo"), "id": item["id"]!, "name": item["name"]!])
            let listed: JSONValue = .object(["listTodos": .object(["__typename": .string("ModelTodoConnection"),
                                                                   "items": .array(kept + [added])])])
            try await cache.writeQuery(list["document"]!.text, data: listed, variables: list["variables"])
        }
        func items() async throws -> JSONValue? {
            try await client.readQuery(list["document"]!.text, variables: list["variables"])?["listTodos"]?["items"]
        }

        try client.setNetworkOnline(false)
        let create = s["create"]!
        let pending = try await client.mutate(create["document"]!.text, variables: create["variables"],
                                              optimisticResponse: create["optimistic"], update: update)
        let shown = try await items()
        XCTAssertEqual(shown, s["expectItems"], "shown at once")
        XCTAssertEqual(passes.all, [true])

        try client.setNetworkOnline(true)
        let answer = try await pending.response()
        XCTAssertNotNil(answer)
        let held = try await items()
        XCTAssertEqual(held, s["expectItems"], "held once, by the cache itself")
        XCTAssertEqual(JSONValue.array(passes.all.map { .bool($0) }), s["expectPasses"])
        do {
            try await kept.all.last!.writeQuery(list["document"]!.text, data: s["seed"]!, variables: list["variables"])
            XCTFail("a cache kept past its pass refuses writes")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, s["expectLateWriteCode"]?.text)
        }
    }

    func testFaultsFromTheMockAreRetriedUntilEachMutationGoesThroughAndA401RefreshesTheToken() async throws {
        let s = Scenarios["outboxFaults"]
        let asked = Recorded<Bool>()
        let providers = Providers(userPools: { force in
            asked.add(force)
            return Token(try await Mock.token("userPools"))
        })
        guard case .number(let base)? = s["options"]?["retryBaseMs"], case .number(let cap)? = s["options"]?["retryCapMs"] else {
            return XCTFail("options")
        }
        let client = try AppSyncClient(contentsOf: Mock.outputs, providers: providers,
                                       options: ClientOptions(retryBaseMs: UInt64(base), retryCapMs: UInt64(cap)))
        let events = Recorded<OutboxEvent>()
        let stream = try client.outboxEvents()
        let collector = Task { for await event in stream { events.add(event) } }
        try await Task.sleep(nanoseconds: 200_000_000)
        defer { collector.cancel() }
        do {
            guard case .array(let steps)? = s["steps"] else { return XCTFail("steps") }
            for step in steps {
                try await Mock.faults(step["faults"]!)
                let create = step["create"]!
                let pending = try await client.mutate(create["document"]!.text, variables: create["variables"])
                let answer = try await pending.response()
                try await Mock.clearFaults()
                XCTAssertNotNil(answer, step["name"]!.text)
                try await Task.sleep(nanoseconds: 50_000_000) // this mutation's events reach the collector
                let retries: [(UInt64, String)] = events.all.compactMap {
                    if case .retrying(let id, _, let delayMs, let code, _) = $0, id == pending.id { return (delayMs, code) }
                    return nil
                }
                guard case .number(let min)? = step["minRetries"], case .number(let max)? = step["maxRetries"] else {
                    return XCTFail("retries")
                }
                XCTAssertTrue((Int(min)...Int(max)).contains(retries.count), "\(step["name"]!.text): \(retries)")
                var minDelay = 0.0
                if case .number(let ms)? = step["minDelayMs"] { minDelay = ms }
                for (delayMs, code) in retries {
                    XCTAssertEqual(code, step["code"]?.text)
                    XCTAssertGreaterThanOrEqual(Double(delayMs), minDelay)
                }
            }
            for step in steps {
                let id = step["create"]!["variables"]!["input"]!["id"]!
                let got = try await client.query(s["get"]!["document"]!.text, variables: .object(["id": id]), fetchPolicy: .networkOnly)
                XCTAssertEqual(got.data?["getTodo"]?["_version"], .number(1), "\(id) applied once")
            }

            let refresh = s["refresh"]!
            try await Mock.faults(refresh["faults"]!)
            let create = refresh["create"]!
            let pending = try await client.mutate(create["document"]!.text, variables: create["variables"],
                                                  authMode: .userPools)
            let answer = try await pending.response()
            XCTAssertNotNil(answer)
            XCTAssertTrue(asked.all.count >= 2 && asked.all.contains(true), "asked again with forceRefresh: \(asked.all)")
        } catch {
            try? await Mock.clearFaults()
            throw error
        }
        try await Mock.clearFaults()
    }

    func testOutboxOptionsThatCannotWorkAreAConfigError() throws {
        XCTAssertThrowsError(try AppSyncClient(contentsOf: Mock.outputs, options: ClientOptions(retryBaseMs: 0))) { error in
            guard case AppSyncError.config(_, _, let key, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "retryBaseMs")
        }
    }
}
