import ArgumentParser
import Foundation

/// `medsynth generate-manual`: the man page, in roff, from the commands' own help, so that it
/// never disagrees with `--help`. scripts/install.sh writes it to share/man/man1/medsynth.1.
struct GenerateManual: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual",
        abstract: "Print medsynth's man page (roff) on standard output.",
        shouldDisplay: false
    )

    func run() throws {
        print(Self.page(date: Date()), terminator: "")
    }

    static func page(date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        var lines = [
            ".TH MEDSYNTH 1 \"\(formatter.string(from: date))\" \"medsynth \(MedSynth.version)\" \"medsynth manual\"",
            ".SH NAME",
            "medsynth \\- \(roff(MedSynth.configuration.abstract))",
            ".SH SYNOPSIS",
            ".B medsynth",
            "[\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR]",
            ".SH DESCRIPTION",
            roff(MedSynth.configuration.discussion),
            ".PP",
            "Each subcommand below is shown with its own help, as \\fBmedsynth SUBCOMMAND \\-\\-help\\fR prints it.",
            ".SH SUBCOMMANDS",
        ]
        for command in MedSynth.configuration.subcommands where command.configuration.shouldDisplay {
            let name = command.configuration.commandName ?? command._commandName
            lines += [".SS \(roff(name))", ".nf"]
            lines += MedSynth.helpMessage(for: command, columns: 78).split(separator: "\n", omittingEmptySubsequences: false)
                .map { roff(String($0)) }
            lines.append(".fi")
        }
        lines += [
            ".SH ENVIRONMENT",
            ".TP", "\\fBMEDSYNTH_STDLIB\\fR", "A folder of .medsynth files to load instead of the standard library built into medsynth.",
            ".TP", "\\fBMEDSYNTH_COURSE\\fR", "A course folder for \\fBmedsynth course\\fR to copy instead of the installed one.",
            ".TP", "\\fBMEDSYNTH_THREADS\\fR", "The number of cores the engine uses.",
            ".TP", "\\fBMEDSYNTH_MAX_MEMORY\\fR", "The most memory medsynth may use (see \\fBmedsynth doctor\\fR).",
            ".TP", "\\fBOPENBLAS_CORETYPE\\fR", "OpenBLAS's kernels; when unset, medsynth asks for SkylakeX on CPUs with AVX\\-512.",
            ".SH FILES",
            ".TP", "\\fIPREFIX\\fB/share/medsynth/course\\fR", "The course's notebooks and models, which \\fBmedsynth course\\fR copies.",
            ".SH SEE ALSO",
            "The README and docs/ of medsynth's repository; \\fBmedsynth doctor\\fR for what this installation runs on.",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    /// Text as roff shows it literally: backslashes and dashes escaped, and no line starting
    /// with a dot or an apostrophe (which roff would read as a request).
    static func roff(_ text: String) -> String {
        var escaped = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if escaped.hasPrefix(".") || escaped.hasPrefix("'") { escaped = "\\&" + escaped }
        return escaped
    }
}
