/// Input a model refuses: a data set, labels or conditions that do not fit it. It names the
/// argument at fault, so that the language can point at the option that was written.
public struct ModelInputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was handed to the model, as `train` and `diffuse` name it.
    public enum Argument: String, Sendable, CaseIterable {
        /// The model itself: it cannot do what was asked with what it was given.
        case model
        /// The data set: images, or latents.
        case data
        /// Label maps, one per image.
        case labels
        /// Conditions, one tensor per condition group.
        case conditions
        /// The reconstruction loss of an autoencoder.
        case reconstruction
    }

    public let argument: Argument
    public let message: String
    public let expected: String?
    public let found: String?
    public let hint: String?

    public init(_ argument: Argument, _ message: String, expected: String? = nil, found: String? = nil, hint: String? = nil) {
        self.argument = argument
        self.message = message
        self.expected = expected
        self.found = found
        self.hint = hint
    }

    public var description: String { message }

    /// "a tensor of shape [2, 3]", as errors show what was found.
    public static func shape(_ shape: [Int]) -> String { "a tensor of shape \(shape)" }
}
