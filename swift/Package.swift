// swift-tools-version:5.9
// The AppSync Swift package: the UniFFI bindings generated from the Rust library at build time
// (target AppSyncFFI, never edited) and the Swift layer over them (target AppSync: async/await,
// AsyncThrowingStream, typed errors; its warnings are errors). Linked against the host-built
// libappsync_ffi (scripts/test-swift.sh).
import PackageDescription

let package = Package(
    name: "AppSync",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "AppSync", targets: ["AppSync"]),
    ],
    targets: [
        .systemLibrary(name: "AppSyncFFIC", path: "Sources/AppSyncFFIC"),
        .target(name: "AppSyncFFI", dependencies: ["AppSyncFFIC"], path: "Sources/AppSyncFFI"),
        .target(
            name: "AppSync",
            dependencies: ["AppSyncFFI"],
            path: "Sources/AppSync",
            swiftSettings: [.unsafeFlags(["-warnings-as-errors"])]
        ),
        .testTarget(name: "AppSyncTests", dependencies: ["AppSync"], path: "Tests/AppSyncTests"),
    ]
)
