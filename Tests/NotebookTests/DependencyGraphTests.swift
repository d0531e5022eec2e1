import XCTest
@testable import Notebook

final class DependencyGraphTests: XCTestCase {
    typealias Node = DependencyGraph.Node

    func testWritersKeysAndEdges() {
        var graph = DependencyGraph(libraryNames: ["signed"], libraryKey: "L")
        graph.bindParameter("steps", key: "P")
        XCTAssertEqual(graph.inputKeys(["signed", "steps", "nowhere"]), ["signed": "L", "steps": "P", "nowhere": "unbound"])
        let a = Node(cell: "a", line: 3), b = Node(cell: "b", line: 7), c = Node(cell: "c", line: 9)
        graph.bind(["x"], by: a, key: "K1", reading: ["steps"])
        // `x = x * 2` reads the x before it, then is the writer of x.
        XCTAssertEqual(graph.writerNames(["x", "signed"]), ["a:3", "library"])
        graph.bind(["x"], by: b, key: "K2", reading: ["x", "signed"])
        graph.bind(["y"], by: c, key: "K3", reading: ["x"])
        XCTAssertEqual(graph.inputKeys(["x"]), ["x": "K2"])
        XCTAssertEqual(graph.dependencies[b], [.statement(a), .library])
        XCTAssertEqual(graph.dependencies[a], [.parameter])
        XCTAssertEqual(graph.dependents(of: a), [b])
        XCTAssertEqual(graph.dependents(of: b), [c])
        XCTAssertEqual(graph.dependents(of: c), [])
    }
}
