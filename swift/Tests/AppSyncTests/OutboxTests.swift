import AppSync
import Foundation
import XCTest

/// Records what the resolver saw (the resolver runs on the binding's threads).
final class SeenConflicts: @unchecked Sendable {
    private let lock = NSLock()
    private var conflicts: [Conflict] = []
    func add(_ conflict: Conflict) { lock.lock(); conflicts.append(conflict); lock.unlock() }
    var all: [Conflict] { lock.lock(); defer { lock.unlock() }; return conflicts }
}

/// The shared `outbox` scenario (tests/fixtures/scenarios.json) with a resolver written in Swift.
final class OutboxTests: XCTestCase {
    let s = Scenarios["outbox"]

    func testOfflineChangesShowAtOnceDrainInOrderParkDiscardAndASwiftResolverSettlesAConflict() async throws {
        let client = try AppSyncClient(contentsOf: Mock.outputs)
        let events = try client.outboxEvents()
        let collector = Task { () -> [OutboxEvent] in
            var seen: [OutboxEvent] = []
            for await event in events {
                seen.append(event)
                if seen.filter({ if case .done = $0 { return true } else { return false } }).count == 5 { break }
            }
            return seen
        }

        try client.setNetworkOnline(false)
        let create = s["create"]!, update = s["update"]!
        // `mutate` queues (offline support is on by default): the handle comes back at once.
        let pending = try await client.mutate(create["document"]!.text, variables: create["variables"],
                                              optimisticResponse: create["optimistic"])
        let created = pending.id
        let updated = try await client.enqueue(update["document"]!.text, variables: update["variables"],
                                               optimisticResponse: update["optimistic"])
        let fragment = s["fragment"]!
        let shown = try await client.readFragment(fragment["document"]!.text, key: fragment["key"]!.text)
        XCTAssertEqual(shown, s["expectShown"], "optimistic, at once")
        let queued = try await client.outboxEntries()
        XCTAssertEqual(queued.count, 2)

        try client.setNetworkOnline(true)
        for id in [created, updated] {
            let outcome = try await client.mutationOutcome(id)
            guard case .succeeded = outcome else { return XCTFail("\(id): \(outcome)") }
        }
        let answer = try await pending.response()
        XCTAssertNotNil(answer?.data?["createTodo"], "the server's answer through the handle")
        let get = s["get"]!
        let onServer = try await client.query(get["document"]!.text, variables: get["variables"], fetchPolicy: .networkOnly)
        XCTAssertEqual(onServer.data, s["expectServer"])

        let rejection = try await client.mutate(s["rejected"]!["document"]!.text, variables: s["rejected"]!["variables"])
        let rejected = rejection.id
        do {
            _ = try await rejection.response()
            XCTFail("a parked mutation's response() throws what parked it")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, "GRAPHQL")
        }
        let parked = try await client.mutationOutcome(rejected)
        guard case .parked(let reason, let code, _) = parked else { return XCTFail("\(parked)") }
        XCTAssertEqual(reason, .rejected)
        XCTAssertEqual(code, "GRAPHQL")
        let parkedEntries = try await client.outboxEntries()
        XCTAssertEqual(parkedEntries.count, 1)
        XCTAssertNotNil(parkedEntries.first?.parked)
        try await client.discardMutation(rejected)
        let afterDiscard = try await client.outboxEntries()
        XCTAssertTrue(afterDiscard.isEmpty)

        let seen = SeenConflicts()
        client.setConflictResolver { conflict in
            seen.add(conflict)
            return .discard
        }
        let conflicted = try await client.enqueue(s["conflict"]!["document"]!.text, variables: s["conflict"]!["variables"])
        let outcome = try await client.mutationOutcome(conflicted)
        XCTAssertEqual(outcome, .discarded)
        XCTAssertEqual(seen.all.count, 1)
        XCTAssertEqual(seen.all.first?.errorType, s["expectConflictType"]?.text)
        XCTAssertEqual(seen.all.first?.serverData?["name"], .string("edited offline"))

        let received = await collector.value
        XCTAssertTrue(received.contains(.network(online: false)), "\(received)")
    }
}
