/// Matches an application's arguments and options to a verb's parameters. The analyser and the
/// interpreter both use it, so a call that passes the check binds the same way when it runs.
struct ArgumentBinding {
    /// The expressions given for each parameter (several for a variadic one).
    var given: [String: [Expression]] = [:]

    static func bind(verb: Verb, arguments: [Expression], options: [NamedArgument], span: SourceSpan) throws -> ArgumentBinding {
        var binding = ArgumentBinding()
        let positional = verb.positionalParameters
        var remaining = arguments[...]
        for parameter in positional {
            if parameter.isVariadic {
                if !remaining.isEmpty { binding.given[parameter.name] = Array(remaining) }
                remaining = []
                break
            }
            guard let argument = remaining.popFirst() else { break }
            binding.given[parameter.name] = [argument]
        }
        if let extra = remaining.first {
            let count = positional.count
            throw RuntimeError(
                "'\(verb.name)' takes \(count == 0 ? "no" : "at most \(count)") positional argument\(count == 1 ? "" : "s"), given \(arguments.count)",
                span: remaining.dropFirst().reduce(extra.span) { $0.through($1.span) },
                expected: verb.usage,
                hint: extra.precedence == 11 && verb.options.isEmpty == false
                    ? "options are written name=value, e.g. \(verb.options[0].name)=..." : nil)
        }
        for option in options {
            guard let parameter = verb.parameters.first(where: { $0.name == option.name }) else {
                throw RuntimeError(
                    "'\(verb.name)' has no option '\(option.name)'", span: option.nameSpan,
                    expected: verb.options.isEmpty ? "no options" : "one of \(verb.options.map(\.name).joined(separator: ", "))",
                    hint: Suggestions.didYouMean(option.name, among: verb.parameters.map(\.name)))
            }
            guard binding.given[parameter.name] == nil else {
                throw RuntimeError(
                    "'\(option.name)' is given twice: as an argument and as an option", span: option.nameSpan)
            }
            binding.given[parameter.name] = [option.value]
        }
        if let missing = verb.parameters.first(where: { $0.isRequired && binding.given[$0.name] == nil }) {
            throw RuntimeError(
                "'\(verb.name)' needs \(missing.isPositional ? "its argument" : "the option") '\(missing.name)'", span: span,
                expected: verb.usage, hint: missing.help.isEmpty ? nil : "\(missing.name): \(missing.help)")
        }
        return binding
    }
}
