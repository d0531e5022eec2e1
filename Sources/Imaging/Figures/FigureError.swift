/// A figure that cannot be drawn from what it was given; the message says why.
public struct FigureError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
