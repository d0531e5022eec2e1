// swift-tools-version:6.0
// A package that uses medsynth's tensor engine as a library, as anyone's package would: it
// depends on the Engine product by path. CI builds and runs it (scripts/test.sh), which proves
// that the library products carry no unsafe flags and build without the rest of medsynth.
import PackageDescription

let package = Package(
    name: "EngineUser",
    dependencies: [.package(name: "medsynth", path: "../..")],
    targets: [
        .executableTarget(name: "engine-user", dependencies: [.product(name: "Engine", package: "medsynth")]),
    ]
)
