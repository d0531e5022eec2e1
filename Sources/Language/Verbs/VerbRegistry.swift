/// Every verb of the language, by name.
public struct VerbRegistry: Sendable {
    public let verbs: [Verb]
    private let byName: [String: Verb]

    public init(_ verbs: [Verb]) {
        self.verbs = verbs.sorted { $0.name < $1.name }
        var byName: [String: Verb] = [:]
        for verb in verbs {
            precondition(byName[verb.name] == nil, "the verb '\(verb.name)' is declared twice")
            byName[verb.name] = verb
        }
        self.byName = byName
    }

    public subscript(name: String) -> Verb? { byName[name] }

    public var names: [String] { verbs.map(\.name) }

    /// The verbs medsynth ships with.
    public static let standard = VerbRegistry(
        ValueVerbs.all + TextVerbs.all + DataVerbs.all + GeometryVerbs.all + DatasetVerbs.all + ImagingVerbs.all + TaskVerbs.all + DisplayVerbs.all + EvaluationVerbs.all + DiffusionVerbs.all + ModelVerbs.all)
}
