/// Whether operations on variables are recorded for backward.
public enum GradientMode {
    @TaskLocal static var recording = true

    /// True unless inside `withoutGradients`.
    public static var isRecording: Bool { recording }

    /// Runs `body` without recording: results are constants and keep no inputs alive. For
    /// inference, sampling and evaluation, where no backward follows.
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $recording.withValue(false, operation: body)
    }
}
