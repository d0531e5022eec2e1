import Diffusion

/// A notebook cell's training statement (`m = train ...` of a denoiser) handed over to PyTorch
/// (`TrainingHandOver`), for `medsynth export`: the cell's statements before it run, then its
/// arguments are evaluated as `train` would see them (the same model, data, conditions and
/// hyperparameters, the same random keys as in a notebook run), and training itself is left to
/// the exported script.
public enum TrainingExport {
    /// The hand-over of the first `train` statement in the labelled cell `label`, whose `code`
    /// starts at `firstLine` of the notebook; `session` holds what the cells before it bound.
    public static func handOver(
        cell code: String, label: String, sourceName: String, firstLine: Int, in session: Session
    ) throws(Diagnostic) -> TrainingHandOver {
        let source = SourceFile(name: sourceName, text: code, firstLine: firstLine)
        let plans = try session.executor.plan(source)
        guard let index = plans.firstIndex(where: { callee(of: $0.statement) == "train" }) else {
            throw Diagnostic("cell \(label) has no training statement ('m = train ...') to hand over", at: plans.first?.span ?? SourceSpan(0, 0), in: source)
        }
        // The random keys a notebook run gives the cell's statements: the cell's label and the
        // name each binds, counted (as the notebook cache's policy names them).
        var occurrences: [String: Int] = [:]
        func randomPath(_ statement: Statement) -> [String] {
            let name: String
            switch statement {
            case .binding(let bound, _, _, _): name = bound
            case .function(let definition): name = "def \(definition.name)"
            default: name = statement.canonicalForm
            }
            occurrences[name, default: 0] += 1
            return [label, "\(name)#\(occurrences[name]!)"]
        }
        for plan in plans[..<index] {
            _ = try session.interpreter.execute(plan.statement, in: source, randomPath: randomPath(plan.statement))
        }
        let statement = plans[index].statement
        let call = try session.interpreter.call(of: "train", in: statement, source: source, randomPath: randomPath(statement))
        do {
            return try ModelVerbs.handOver(call, origin: "\(sourceName), line \(source.location(of: statement.span.start).line)")
        } catch let error as RuntimeError {
            throw Diagnostic(error.message, at: error.span ?? statement.span, in: source, expected: error.expected, found: error.found, hint: error.hint)
        } catch {
            throw Diagnostic("\(error)", at: statement.span, in: source)
        }
    }

    private static func callee(of statement: Statement) -> String? {
        switch statement {
        case .binding(_, _, .application(let application), _), .expression(.application(let application), _): application.callee
        default: nil
        }
    }
}
