import AppSync
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// The mock server (started by scripts/test.sh: APPSYNC_MOCK_URL, APPSYNC_MOCK_DIR).
enum Mock {
    static let url: String = ProcessInfo.processInfo.environment["APPSYNC_MOCK_URL"] ?? ""
    static let dir: String = ProcessInfo.processInfo.environment["APPSYNC_MOCK_DIR"] ?? ""
    static var base: String { String(url.dropLast("/graphql".count)) }
    static var outputs: URL { URL(fileURLWithPath: dir).appendingPathComponent("amplify_outputs.json") }

    /// A JWT minted by the mock for "userPools" or "oidc".
    static func token(_ provider: String) async throws -> String {
        var request = URLRequest(url: URL(string: "\(base)/__mock/token")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{\"provider\":\"\(provider)\"}".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let reply = try JSONValue(parsing: String(decoding: data, as: UTF8.self))
        return reply["token"]?.stringValue ?? ""
    }
}

extension Mock {
    /// Sets faults on the mock (POST /__mock/faults), e.g. `{"failNext": 2}`.
    static func faults(_ document: JSONValue) async throws {
        try await control("POST", "/__mock/faults", document.jsonText)
    }

    /// Clears every fault (DELETE /__mock/faults).
    static func clearFaults() async throws {
        try await control("DELETE", "/__mock/faults", nil)
    }

    private static func control(_ method: String, _ path: String, _ body: String?) async throws {
        var request = URLRequest(url: URL(string: "\(base)\(path)")!)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        if let body { request.httpBody = Data(body.utf8) }
        let (_, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw NSError(domain: "Mock", code: status, userInfo: [NSLocalizedDescriptionKey: "\(method) \(path): \(status)"])
        }
    }
}

/// The shared scenarios (tests/fixtures/scenarios.json) with this run's id prefix.
enum Scenarios {
    static let prefix = "swift-\(UUID().uuidString.prefix(8).lowercased())-"
    static let root: JSONValue = {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tests/fixtures/scenarios.json")
        let text = (try? String(contentsOf: path, encoding: .utf8)) ?? "{}"
        return (try? JSONValue(parsing: text.replacingOccurrences(of: "{prefix}", with: prefix))) ?? .null
    }()

    static subscript(name: String) -> JSONValue { root[name] ?? .null }
}

extension JSONValue {
    var text: String { stringValue ?? "" }
}
