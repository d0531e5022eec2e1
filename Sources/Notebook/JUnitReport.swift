import Foundation

/// A notebook as `medsynth check` saw it: run (to its end, or to the error that stopped it), or
/// failed before there was a result to report (it could not be read, or running it threw).
public enum CheckedNotebook: Sendable {
    /// Its result: expectations, and the error that stopped it if one did.
    case ran(NotebookRunner.RunResult)
    /// The notebook at `path` gave no result; `message` says why.
    case failed(path: String, message: String)
}

extension NotebookReport {
    /// A JUnit XML file for CI: one test suite per notebook, one test case per expectation, and
    /// one for a cell that failed with an error; a notebook that failed before any result is a
    /// suite with one test case in error.
    public static func junit(_ notebooks: [CheckedNotebook]) -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<testsuites>"]
        for notebook in notebooks {
            switch notebook {
            case .ran(let result): lines += suite(result)
            case .failed(let path, let message):
                lines.append("  <testsuite name=\"\(escape(path))\" tests=\"1\" failures=\"0\" errors=\"1\" time=\"0.000\">")
                lines.append("    <testcase classname=\"\(escape(path))\" name=\"the notebook runs\">")
                lines.append("      <error message=\"\(escape(message))\">\(escape(message))</error>")
                lines.append("    </testcase>")
                lines.append("  </testsuite>")
            }
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// A notebook's suite: a failed expectation is a failure, a cell stopped by an error is an
    /// error, and a cell that never ran (an earlier one stopped the notebook) is skipped.
    private static func suite(_ result: NotebookRunner.RunResult) -> [String] {
        let failures = result.failedExpectations.count
        let errors = result.cells.filter { $0.diagnostic != nil }.count
        let notRun = result.document.cells.dropFirst(result.cells.count)
        let tests = result.expectations.count + errors + notRun.count
        var lines = [
            "  <testsuite name=\"\(escape(result.document.path))\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"\(errors)\" "
                + "skipped=\"\(notRun.count)\" time=\"\(String(format: "%.3f", result.seconds))\">",
        ]
        for cell in result.cells {
            for expectation in cell.expectations {
                lines.append("    <testcase classname=\"\(escape(cell.cell.label))\" name=\"line \(expectation.line): expect \(escape(expectation.condition))\">")
                if !expectation.passed {
                    lines.append("      <failure message=\"\(escape(expectation.detail))\"/>")
                }
                lines.append("    </testcase>")
            }
            if let diagnostic = cell.diagnostic {
                lines.append("    <testcase classname=\"\(escape(cell.cell.label))\" name=\"cell \(escape(cell.cell.label)) runs\">")
                lines.append("      <error message=\"\(escape(diagnostic.message))\">\(escape(diagnostic.description))</error>")
                lines.append("    </testcase>")
            }
        }
        for cell in notRun {
            lines.append("    <testcase classname=\"\(escape(cell.label))\" name=\"cell \(escape(cell.label)) runs\">")
            lines.append("      <skipped message=\"not run: an earlier cell stopped the notebook\"/>")
            lines.append("    </testcase>")
        }
        lines.append("  </testsuite>")
        return lines
    }
}
