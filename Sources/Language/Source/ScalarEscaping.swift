extension String {
    /// The text with each scalar that `replacements` names written as its replacement. Scalar
    /// by scalar, not Character by Character: a quote followed by a combining mark is one
    /// Character, yet a quote to a lexer or a browser, and must be escaped as one.
    public func replacingScalars(_ replacements: [Unicode.Scalar: String]) -> String {
        var result = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            if let replacement = replacements[scalar] {
                result.append(contentsOf: replacement.unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
