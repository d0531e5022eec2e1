import Foundation

/// A generated notebook, kept as a small intermediate form from which both its text and the
/// exact set of statements an edit affects are computed. The model here never asks the
/// analyser or the cache: it is the specification they are checked against.
struct MutationNotebook {
    /// One statement, as the generator made it.
    enum Kind: Equatable {
        /// `a = 3`
        case constant(String, Int)
        /// `a = b * 2 + 1`
        case derived(String, from: String, scale: Int, offset: Int)
        /// `a = zeros [2] + b`
        case tensor(String, from: String)
        /// `a = a * 2`
        case double(String)
        /// `def f x = x * k + 1`: reads the global `k` when it runs.
        case define(String, global: String, constant: Int)
        /// `def h x = f x + 1`: calls another function.
        case defineCalling(String, callee: String, constant: Int)
        /// `def g x = randn [2] + x`: draws when it runs.
        case defineRandom(String)
        /// `a = f b`
        case call(String, function: String, argument: String)
        /// `for i in 0..2 do a = a + i end`, or over `[]` (never runs), or nested in another.
        case loop(String, runs: Bool, nested: Bool)
        /// `a = sum (load "data/v1.png")`
        case load(String, file: String)
        /// `a = sum (load (dir + "/v1.png"))`: a path computed when it runs.
        case loadComputed(String, file: String)
        /// `save a "out/a.safetensors" overwrite=true`
        case save(String)
        /// `a = randn [2]`, or with `seed=K`.
        case random(String, seed: Int?)
        /// `a` (a display)
        case display(String)
        /// `expect a ~ a` (with the default tolerance)
        case expect(String)
    }

    struct Statement: Equatable {
        var kind: Kind
        /// 0: plain; 1: extra spaces; 2: a trailing comment. Layout never counts.
        var layout = 0
    }

    struct Cell: Equatable {
        var label: String?
        var cached = true
        var statements: [Statement]
    }

    var seed = 1
    /// The number parameter `p`; the string parameter `dir` is always "data".
    var p = 3
    var cells: [Cell] = []

    static let files = ["v1.png", "v2.png"]

    // MARK: Text

    var text: String {
        var lines = ["---", "seed: \(seed)", "parameters:", "  p: \(p)", "  dir: \"data\"", "---", ""]
        for cell in cells {
            var options: [String] = []
            if let label = cell.label { options.append("#\(label)") }
            if !cell.cached { options.append("cache=false") }
            lines.append(options.isEmpty ? "```medsynth" : "```medsynth {\(options.joined(separator: " "))}")
            for statement in cell.statements { lines.append(Self.text(statement)) }
            lines += ["```", "", "Prose.", ""]
        }
        return lines.joined(separator: "\n")
    }

    static func text(_ statement: Statement) -> String {
        let plain = canonical(statement.kind)
        switch statement.layout {
        case 1: return plain.replacingOccurrences(of: " = ", with: "  =   ").replacingOccurrences(of: " + ", with: "+")
        case 2: return plain + "   -- a note"
        default: return plain
        }
    }

    /// The statement without layout: what the model keys it by.
    static func canonical(_ kind: Kind) -> String {
        switch kind {
        case .constant(let name, let value): return "\(name) = \(value)"
        case .derived(let name, let from, let scale, let offset): return "\(name) = \(from) * \(scale) + \(offset)"
        case .tensor(let name, let from): return "\(name) = zeros [2] + \(from)"
        case .double(let name): return "\(name) = \(name) * 2"
        case .define(let function, let global, let constant): return "def \(function) x = x * \(global) + \(constant)"
        case .defineCalling(let function, let callee, let constant): return "def \(function) x = \(callee) x + \(constant)"
        case .defineRandom(let function): return "def \(function) x = randn [2] + x"
        case .call(let name, let function, let argument): return "\(name) = \(function) \(argument)"
        case .loop(let name, let runs, let nested):
            let sequence = runs ? "0..2" : "[]"
            if nested { return "for i in 0..1 do\n  for j in \(sequence) do\n    \(name) = \(name) + j\n  end\nend" }
            return "for i in \(sequence) do\n  \(name) = \(name) + i\nend"
        case .load(let name, let file): return "\(name) = sum (load \"data/\(file)\")"
        case .loadComputed(let name, let file): return "\(name) = sum (load (dir + \"/\(file)\"))"
        case .save(let name): return "save (zeros [2] + \(name)) \"out/\(name).safetensors\" overwrite=true"
        case .random(let name, let seed): return "\(name) = randn [2]" + (seed.map { " seed=\($0)" } ?? "")
        case .display(let name): return name
        case .expect(let name): return "expect \(name) ~ \(name)"
        }
    }

    // MARK: The model

    static func streamName(_ kind: Kind) -> String {
        switch kind {
        case .constant(let name, _), .derived(let name, _, _, _), .tensor(let name, _), .double(let name), .call(let name, _, _),
             .load(let name, _), .loadComputed(let name, _), .random(let name, _), .display(let name):
            return name
        case .define(let function, _, _), .defineCalling(let function, _, _), .defineRandom(let function):
            return "def \(function)"
        case .loop, .save, .expect:
            return canonical(kind)
        }
    }

    /// What the model says of one statement.
    struct Judgement {
        /// Everything its result depends on, hashed (see `judge`).
        var id: String
        /// Whether the cache may keep its result; the others always run.
        var cacheable: Bool
    }

    /// The names a statement binds when it runs (a loop that never runs binds nothing) and the
    /// global names it reads, given the free globals of the functions defined so far.
    static func effects(_ kind: Kind, freeGlobals: [String: Set<String>]) -> (reads: Set<String>, binds: Set<String>) {
        func closure(_ function: String) -> Set<String> {
            var result: Set<String> = [function]
            var pending = [function]
            while let next = pending.popLast() {
                for name in freeGlobals[next] ?? [] where result.insert(name).inserted { pending.append(name) }
            }
            return result
        }
        switch kind {
        case .constant(let name, _), .random(let name, _), .load(let name, _): return ([], [name])
        case .loadComputed(let name, _): return (["dir"], [name])
        case .derived(let name, let from, _, _), .tensor(let name, let from): return ([from], [name])
        case .double(let name): return ([name], [name])
        case .define(let function, let global, _): return ([global], [function])
        case .defineCalling(let function, let callee, _): return (closure(callee), [function])
        case .defineRandom(let function): return ([], [function])
        case .call(let name, let function, let argument): return (closure(function).union([argument]), [name])
        case .loop(let name, let runs, _): return ([name], runs ? [name] : [])
        case .save(let name), .display(let name), .expect(let name): return ([name], [])
        }
    }

    /// Each statement's id and whether it is cacheable, in document order: the id hashes its
    /// canonical text, the ids of the statements that bound the names it reads (a call reads
    /// what its functions read, resolved at the call), its cell's cache flag, the contents of
    /// the files it reads, the parameters' values, and, if it draws random numbers, the seed
    /// and its stream (cell label, binding, count). Nil when the notebook is not valid (a name
    /// read before anything binds it).
    func judge(fileVersions: [String: Int]) -> [Judgement]? {
        var writers: [String: String] = ["p": "parameter p = \(p)", "dir": "parameter dir"]
        var freeGlobals: [String: Set<String>] = [:]
        var inCell: [String: Int] = [:]
        var unlabelled: [String: Int] = [:]
        var judgements: [Judgement] = []
        for cell in cells {
            inCell = [:]
            for statement in cell.statements {
                let (reads, binds) = Self.effects(statement.kind, freeGlobals: freeGlobals)
                guard reads.allSatisfy({ writers[$0] != nil }) else { return nil }
                var parts = [Self.canonical(statement.kind), cell.cached ? "cached" : "always"]
                parts += reads.sorted().map { "\($0) <- \(writers[$0]!)" }
                var draws = false
                var cacheable = cell.cached
                switch statement.kind {
                case .load(_, let file): parts.append("file \(file) v\(fileVersions[file] ?? 0)")
                case .loadComputed(_, let file):
                    // Always runs; what reads it is keyed by the contents of the file it read.
                    parts.append("file \(file) v\(fileVersions[file] ?? 0)")
                    cacheable = false
                case .random(_, let seed): draws = seed == nil
                case .call: draws = true
                case .defineCalling, .defineRandom:
                    draws = true
                    cacheable = false
                case .define, .save: cacheable = false
                case .expect: parts.append("default tolerance")
                default: break
                }
                // Every statement counts towards the stream names: a binding (and a display of
                // a name) under that name, a definition as "def f", others by their text.
                let name = Self.streamName(statement.kind)
                let count: Int
                if cell.label != nil {
                    inCell[name, default: 0] += 1
                    count = inCell[name]!
                } else {
                    unlabelled[name, default: 0] += 1
                    count = unlabelled[name]!
                }
                if draws { parts.append("seed \(seed) stream \(cell.label.map { $0 + "/" } ?? "")\(name)#\(count)") }
                let id = parts.joined(separator: "\n")
                judgements.append(Judgement(id: id, cacheable: cacheable))
                for name in binds { writers[name] = id }
                switch statement.kind {
                case .define(let function, let global, _): freeGlobals[function] = [global]
                case .defineCalling(let function, let callee, _): freeGlobals[function] = reads.union([callee])
                case .defineRandom(let function): freeGlobals[function] = []
                default: break
                }
            }
        }
        return judgements
    }
}
