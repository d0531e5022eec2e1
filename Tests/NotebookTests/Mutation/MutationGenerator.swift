/// Makes random notebooks and random edits of them (see `CacheMutationTests`).
enum MutationGenerator {
    typealias Kind = MutationNotebook.Kind
    static let values = ["a", "b", "c", "d", "e"]

    /// 4 to 8 cells of 1 to 4 statements; most cells labelled, one in eight `cache=false`.
    static func notebook(_ random: inout SplitMix) -> MutationNotebook {
        var notebook = MutationNotebook(seed: random.below(1000), p: random.below(10) + 1)
        var bound: [String] = ["p"]
        var functions: [String: Kind] = [:]
        var labels = 0
        var functionGlobals: [String] = []
        for _ in 0..<(4 + random.below(5)) {
            var cell = newCell(&random, labels: &labels)
            for _ in 0..<(1 + random.below(4)) {
                let kind = statement(&random, bound: bound, functions: functions, rebinding: functionGlobals)
                if case .define(_, let global, _) = kind, values.contains(global) { functionGlobals.append(global) }
                cell.statements.append(.init(kind: kind))
                for name in MutationNotebook.effects(kind, freeGlobals: [:]).binds {
                    if values.contains(name), !bound.contains(name) { bound.append(name) }
                    if !values.contains(name) { functions[name] = kind }
                }
            }
            notebook.cells.append(cell)
        }
        return notebook
    }

    static func newCell(_ random: inout SplitMix, labels: inout Int) -> MutationNotebook.Cell {
        labels += 1
        let labelled = random.chance(0.75)
        return MutationNotebook.Cell(label: labelled ? "c\(labels)" : nil, cached: !(labelled && random.chance(0.125)), statements: [])
    }

    /// A statement whose names are bound before it (`bound`: values; `functions`: defined).
    /// It often binds one of `rebinding` (the globals functions read when they run).
    static func statement(_ random: inout SplitMix, bound: [String], functions: [String: Kind], rebinding: [String]) -> Kind {
        let name = !rebinding.isEmpty && random.chance(0.4) ? random.pick(rebinding) : random.pick(values)
        let readable = bound
        let values = bound.filter { $0 != "p" }
        while true {
            // (In Swift, `case 6, 7 where c` applies c to 7 only: each case below has one pattern.)
            switch random.below(20) {
            case 0...1: return .constant(name, random.below(9) + 1)
            case 2...3: return .derived(name, from: random.pick(readable), scale: random.below(4) + 1, offset: random.below(5))
            case 4: return .tensor(name, from: random.pick(readable))
            case 5 where !values.isEmpty: return .double(random.pick(values))
            case 6...7 where functions["f"] == nil: return .define("f", global: random.pick(readable), constant: random.below(5))
            case 8 where functions["f"] != nil && functions["h"] == nil: return .defineCalling("h", callee: "f", constant: random.below(5))
            case 9 where functions["g"] == nil: return .defineRandom("g")
            case 10...12 where !functions.isEmpty:
                return .call(name, function: random.pick(functions.keys.sorted()), argument: random.pick(readable))
            case 13 where !values.isEmpty:
                return .loop(random.pick(values), runs: random.chance(0.7), nested: random.chance(0.3))
            case 14: return .load(name, file: random.pick(MutationNotebook.files))
            case 15 where random.chance(0.5): return .loadComputed(name, file: random.pick(MutationNotebook.files))
            case 16 where !values.isEmpty: return .save(random.pick(values))
            case 17: return .random(name, seed: random.chance(0.4) ? random.below(100) : nil)
            case 18 where !values.isEmpty: return .display(random.pick(values))
            case 19 where !values.isEmpty: return .expect(random.pick(values))
            default: continue
            }
        }
    }

    /// One random edit, and a few words that say what it was (the first is its kind).
    static func edit(
        _ notebook: MutationNotebook, versions: [String: Int], _ random: inout SplitMix
    ) -> (MutationNotebook, [String: Int], String) {
        var notebook = notebook
        var versions = versions
        let roll = random.below(100)
        let places = notebook.cells.indices.flatMap { cell in notebook.cells[cell].statements.indices.map { (cell, $0) } }
        switch roll {
        case 0..<20:
            // A constant: of a constant, a derived value, a seeded draw.
            let candidates = places.filter { cell, index in
                switch notebook.cells[cell].statements[index].kind {
                case .constant, .derived, .random(_, .some): return true
                default: return false
                }
            }
            // Half the time, a binding of a name some function reads when it runs.
            let globals = Set(notebook.cells.flatMap(\.statements).compactMap { statement -> String? in
                if case .define(_, let global, _) = statement.kind { return global }
                return nil
            })
            let rebindings = candidates.filter { cell, index in
                MutationNotebook.effects(notebook.cells[cell].statements[index].kind, freeGlobals: [:]).binds.contains { globals.contains($0) }
            }
            let pool = !rebindings.isEmpty && random.chance(0.5) ? rebindings : candidates
            guard let (cell, index) = pool.isEmpty ? nil : random.pick(pool) else { break }
            let value = random.below(9) + 1
            switch notebook.cells[cell].statements[index].kind {
            case .constant(let name, _): notebook.cells[cell].statements[index].kind = .constant(name, value)
            case .derived(let name, let from, let scale, _):
                notebook.cells[cell].statements[index].kind = .derived(name, from: from, scale: scale, offset: value)
            case .random(let name, _): notebook.cells[cell].statements[index].kind = .random(name, seed: value * 7)
            default: break
            }
            return (notebook, versions, "constant in cell \(cell + 1)")
        case 20..<30:
            var labels = notebook.cells.count + 100 + random.below(1000)
            var cell = newCell(&random, labels: &labels)
            // Half the time, a name a function reads when it runs.
            let globals = notebook.cells.flatMap(\.statements).compactMap { statement -> String? in
                if case .define(_, let global, _) = statement.kind, values.contains(global) { return global }
                return nil
            }
            let name = !globals.isEmpty && random.chance(0.5) ? random.pick(globals) : random.pick(values)
            cell.statements = [.init(kind: random.chance(0.5) ? .constant(name, random.below(9) + 1) : .random(name, seed: nil))]
            let at = random.below(notebook.cells.count + 1)
            notebook.cells.insert(cell, at: at)
            return (notebook, versions, "insert a cell binding \(name) at \(at + 1)")
        case 30..<40 where notebook.cells.count > 1:
            let at = random.below(notebook.cells.count)
            notebook.cells.remove(at: at)
            return (notebook, versions, "delete cell \(at + 1)")
        case 40..<50 where notebook.cells.count > 1:
            let at = random.below(notebook.cells.count - 1)
            notebook.cells.swapAt(at, at + 1)
            return (notebook, versions, "swap cells \(at + 1) and \(at + 2)")
        case 50..<60:
            let candidates = places.filter { cell, index in
                switch notebook.cells[cell].statements[index].kind {
                case .define, .defineCalling: return true
                default: return false
                }
            }
            guard let (cell, index) = candidates.isEmpty ? nil : random.pick(candidates) else { break }
            let constant = random.below(5) + 5
            switch notebook.cells[cell].statements[index].kind {
            case .define(let function, let global, _):
                notebook.cells[cell].statements[index].kind = .define(function, global: random.chance(0.5) ? "p" : global, constant: constant)
            case .defineCalling(let function, let callee, _):
                notebook.cells[cell].statements[index].kind = .defineCalling(function, callee: callee, constant: constant)
            default: break
            }
            return (notebook, versions, "def body in cell \(cell + 1)")
        case 60..<70:
            let file = random.pick(MutationNotebook.files)
            versions[file, default: 0] += 1
            return (notebook, versions, "data file \(file) gets new bytes")
        case 70..<78:
            notebook.p += 1 + random.below(3)
            return (notebook, versions, "parameter p = \(notebook.p)")
        case 78..<85:
            notebook.seed += 1 + random.below(5)
            return (notebook, versions, "seed \(notebook.seed)")
        default:
            guard !places.isEmpty else { break }
            let (cell, index) = random.pick(places)
            notebook.cells[cell].statements[index].layout = (notebook.cells[cell].statements[index].layout + 1 + random.below(2)) % 3
            return (notebook, versions, "relayout in cell \(cell + 1)")
        }
        // Nothing of that kind to edit: a relayout instead.
        guard !places.isEmpty else { return (notebook, versions, "relayout of nothing") }
        let (cell, index) = random.pick(places)
        notebook.cells[cell].statements[index].layout = (notebook.cells[cell].statements[index].layout + 1) % 3
        return (notebook, versions, "relayout in cell \(cell + 1)")
    }
}
