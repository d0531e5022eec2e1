// medsynth-fuzz TARGET [ARGUMENTS...]: feeds inputs to one of medsynth's readers (FuzzTarget).
// medsynth-fuzz --list: each target's name and the longest input worth fuzzing it with.
//
// Built by scripts/fuzz.sh with coverage instrumentation, address sanitizer and -D FUZZING, it
// is a libFuzzer binary: ARGUMENTS are libFuzzer's (corpus folders, -max_total_time=60, ...).
// Built normally (swift build), it replays input files: each is run through the target and
// its outcome printed, so a crash the fuzzer saved can be reproduced and debugged without
// sanitizers.
import Foundation
import FuzzTargets

var arguments = CommandLine.arguments
if arguments.dropFirst().first == "--list" {
    for target in FuzzTarget.allCases { print(target.rawValue, target.maximumLength) }
    exit(0)
}
// libFuzzer's fork mode (-fork=N) runs this binary again with libFuzzer's arguments only: the
// target is passed on to those runs in the environment.
let targetVariable = "MEDSYNTH_FUZZ_TARGET"
if arguments.count >= 2, FuzzTarget(rawValue: arguments[1]) != nil {
    setenv(targetVariable, arguments.remove(at: 1), 1)
}
guard let target = getenv(targetVariable).flatMap({ FuzzTarget(rawValue: String(cString: $0)) }) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("""
        usage: medsynth-fuzz TARGET [FILE...]  (built by scripts/fuzz.sh: TARGET [libFuzzer arguments])
        TARGET is one of: \(names)

        """.utf8))
    exit(2)
}

FuzzTarget.prepareProcess()
#if FUZZING
exit(LibFuzzer.run(target, arguments: arguments))
#else
for file in arguments.dropFirst() {
    guard let input = FileManager.default.contents(atPath: file) else {
        print("\(file): cannot be read")
        continue
    }
    do {
        try target.run([UInt8](input))
        print("\(file): read without error")
    } catch {
        print("\(file): \(error)")
    }
}
#endif
