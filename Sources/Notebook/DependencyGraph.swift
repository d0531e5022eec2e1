/// A notebook's dependency graph, built statement by statement as the runner goes: for each
/// name, what bound it last (its writer) and the cache key of that binding; for each statement,
/// the statements whose bindings it read. A statement's key is made from its inputs' keys, so
/// an edit changes the keys of exactly the statements downstream of it.
struct DependencyGraph {
    /// A statement of the notebook: its cell and the line it starts on.
    struct Node: Hashable, Sendable, CustomStringConvertible {
        var cell: String
        var line: Int
        var description: String { "\(cell):\(line)" }
    }

    /// What bound a name.
    enum Writer: Hashable, Sendable, CustomStringConvertible {
        /// A library loaded before the notebook (stdlib).
        case library
        /// One of the notebook's parameters.
        case parameter
        case statement(Node)

        /// How the JSON report and `medsynth why` name it.
        var description: String {
            switch self {
            case .library: return "library"
            case .parameter: return "parameters"
            case .statement(let node): return node.description
            }
        }
    }

    /// The writer of each bound name, and the key its value was bound under.
    private var writers: [String: (writer: Writer, key: String)] = [:]
    /// For each statement that has run (or was taken from the cache), the writers it read.
    private(set) var dependencies: [Node: Set<Writer>] = [:]

    /// The graph before the notebook's first statement: the libraries' names, all bound under
    /// one key (that of the libraries' contents).
    init(libraryNames: [String], libraryKey: String) {
        for name in libraryNames { writers[name] = (.library, libraryKey) }
    }

    /// Binds a parameter under the key of its value.
    mutating func bindParameter(_ name: String, key: String) {
        writers[name] = (.parameter, key)
    }

    /// For each name read, the key of its binding ("unbound" for a name nothing bound: one that
    /// only a loop that never ran would have bound).
    func inputKeys(_ reads: Set<String>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: reads.map { ($0, writers[$0]?.key ?? "unbound") })
    }

    /// What bound the names read, as the report names them, sorted.
    func writerNames(_ reads: Set<String>) -> [String] {
        Set(reads.compactMap { writers[$0]?.writer.description }).sorted()
    }

    /// Records that the statement at `node`, which read `reads`, bound `names` under `key`.
    mutating func bind(_ names: Set<String>, by node: Node, key: String, reading reads: Set<String>) {
        dependencies[node] = Set(reads.compactMap { writers[$0]?.writer })
        for name in names { writers[name] = (.statement(node), key) }
    }

    /// The statements that read a binding of the statement at `node`.
    func dependents(of node: Node) -> [Node] {
        dependencies.filter { $0.value.contains(.statement(node)) }.map(\.key).sorted { ($0.cell, $0.line) < ($1.cell, $1.line) }
    }
}
