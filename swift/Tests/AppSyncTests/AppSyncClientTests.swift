import AppSync
import Foundation
import XCTest

final class AppSyncClientTests: XCTestCase {
    static let iam = Scenarios["authModes"]["iam"] ?? .null

    /// Providers written in Swift: tokens fetched from the mock, IAM and Lambda from the fixture.
    let providers = Providers(
        userPools: { _ in Token(try await Mock.token("userPools")) },
        oidc: { _ in Token(try await Mock.token("oidc")) },
        lambda: { _ in Token(Scenarios["authModes"]["lambdaToken"]?.text ?? "") },
        iam: { _ in Credentials(accessKeyId: iam["accessKeyId"]?.text ?? "", secretAccessKey: iam["secretAccessKey"]?.text ?? "") }
    )

    func client(_ providers: Providers? = nil) throws -> AppSyncClient {
        try AppSyncClient(contentsOf: Mock.outputs, providers: providers ?? self.providers)
    }

    func testCreatesAndReadsBackThroughTheConfigFileTheMockWrote() async throws {
        let client = try client()
        let create = Scenarios["create"]
        let created = try await client.mutate(create["document"]!.text, variables: create["variables"]).response()!
        XCTAssertEqual(created.data, create["expect"])
        let get = Scenarios["get"]
        let got = try await client.query(get["document"]!.text, variables: get["variables"])
        XCTAssertEqual(got.data, get["expect"])
    }

    func testEveryAuthModeWorksWithProvidersWrittenInSwift() async throws {
        let client = try client()
        let scenario = Scenarios["authModes"]
        guard case .array(let modes) = scenario["modes"] else { return XCTFail("no modes in the fixture") }
        XCTAssertEqual(modes.count, 5)
        for mode in modes.compactMap({ AuthMode(rawValue: $0.text) }) {
            let response = try await client.query(scenario["document"]!.text, authMode: mode)
            XCTAssertNotNil(response.data?["listTodos"], "\(mode)")
        }
    }

    func testAGraphQLErrorArrivesAsAppSyncErrorWithTheAppSyncFields() async throws {
        let client = try client()
        let scenario = Scenarios["graphqlError"]
        do {
            _ = try await client.query(scenario["document"]!.text)
            XCTFail("expected a GraphQL error")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, scenario["expectCode"]?.text)
            guard case .graphQL(_, let errors, let data) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(errors.first?.errorType, scenario["expectErrorType"]?.text)
            XCTAssertEqual(errors.first?.path, scenario["expectPath"])
            XCTAssertNotNil(data?["listTodos"], "partial data kept")
        }
        let partial = try await client.query(scenario["document"]!.text, partialResults: true)
        XCTAssertEqual(partial.errors.count, 1)
    }

    func testDataATreeParseRejectsIsAnInvalidResponseAndNothingOfItIsCached() async throws {
        let scenario = Scenarios["badData"]
        let document = scenario["document"]!.text
        guard case .array(let bodies)? = scenario["bodies"] else { return XCTFail("bodies") }
        let client = try client()
        do {
            for body in bodies {
                try await Mock.faults(.object(["answerNext": .number(1), "answer": body]))
                do {
                    _ = try await client.query(document)
                    XCTFail("expected an invalid response for \(body.text)")
                } catch let error as AppSyncError {
                    guard case .invalidResponse = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(error.code, scenario["expectCode"]?.text)
                }
                let cached = try await client.readQuery(document)
                XCTAssertNil(cached, body.text)
            }
        } catch {
            try await Mock.clearFaults()
            throw error
        }
        try await Mock.clearFaults()
    }

    func testANetworkErrorArrivesAsAppSyncErrorNetwork() async throws {
        let scenario = Scenarios["networkError"]
        let config = "{\"data\":{\"url\":\"\(scenario["endpoint"]!.text)\",\"default_authorization_type\":\"NONE\"}}"
        let client = try AppSyncClient(configJSON: config)
        do {
            _ = try await client.query("{ listTodos { items { id } } }")
            XCTFail("expected a network error")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, scenario["expectCode"]?.text)
            XCTAssertTrue(error.isTransient)
        }
    }

    func testABadConfigAndAFailingProviderAreTypedErrors() async throws {
        XCTAssertThrowsError(try AppSyncClient(configJSON: "{\"data\":{\"url\":42,\"default_authorization_type\":\"API_KEY\"}}")) { error in
            guard case AppSyncError.config(_, _, let key, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "data.url")
        }
        struct Down: Error {}
        let client = try client(Providers(lambda: { _ in throw Down() }))
        do {
            _ = try await client.query("{ listTodos { items { id } } }", authMode: .lambda)
            XCTFail("expected an auth error")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, "AUTH")
        }
        do {
            _ = try await client.query("query { broken(")
            XCTFail("expected an invalid document")
        } catch let error as AppSyncError {
            XCTAssertEqual(error.code, "INVALID_DOCUMENT")
        }
    }

    func testASubscriptionReceivesTheEventAndStopsOnCancel() async throws {
        let client = try client()
        let scenario = Scenarios["subscription"]
        let stream = client.subscribe(scenario["document"]!.text, variables: scenario["variables"])
        var iterator = stream.makeAsyncIterator()
        while let event = try await iterator.next(), event != .started {}
        let trigger = scenario["trigger"]!
        _ = try await client.mutate(trigger["document"]!.text, variables: trigger["variables"]).response()!
        var received: JSONValue?
        while let event = try await iterator.next() {
            if case .data(let data) = event {
                received = data
                break
            }
        }
        XCTAssertEqual(received, scenario["expect"])

        // Cancelling: a second subscription is consumed by a task we cancel; nothing arrives after.
        let second = client.subscribe(scenario["document"]!.text, variables: scenario["variables"])
        let collector = Task { () -> [SubscriptionEvent] in
            var seen: [SubscriptionEvent] = []
            for try await event in second { seen.append(event) }
            return seen
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        collector.cancel()
        let after = scenario["afterCancel"]!
        _ = try await client.mutate(after["document"]!.text, variables: after["variables"]).response()!
        try await Task.sleep(nanoseconds: 1_000_000_000)
        let seen = (try? await collector.value) ?? []
        XCTAssertFalse(seen.contains { if case .data = $0 { return true } else { return false } }, "no event after cancel: \(seen)")
    }

    func testADeniedSubscriptionEndsTheStreamWithAnAppSyncError() async throws {
        let client = try client()
        do {
            for try await _ in client.subscribe("subscription { onCreateSecret { id } }") {}
            XCTFail("expected the stream to fail")
        } catch let error as AppSyncError {
            guard case .subscription(let code, _, let errors) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, "GRAPHQL")
            XCTAssertEqual(errors.first?.errorType, "Unauthorized")
        }
    }
}
