/// A colour of a figure: red, green and blue in 0...255.
public struct FigureColour: Sendable, Equatable {
    public var red: Float
    public var green: Float
    public var blue: Float

    public init(red: Float, green: Float, blue: Float) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    public static let black = FigureColour(red: 0, green: 0, blue: 0)
    public static let white = FigureColour(red: 255, green: 255, blue: 255)
    public static let red = FigureColour(red: 255, green: 0, blue: 0)
    public static let green = FigureColour(red: 0, green: 255, blue: 0)
    public static let blue = FigureColour(red: 0, green: 0, blue: 255)
    public static let yellow = FigureColour(red: 255, green: 255, blue: 0)

    /// The colour map of ACDC's cardiac labels: 0 background (black, or transparent in an
    /// overlay), 1 right ventricle red, 2 myocardium green, 3 left ventricle blue.
    public static let cardiacLabels: [FigureColour] = [.black, .red, .green, .blue]

    /// The channel `c` (0 red, 1 green, 2 blue).
    subscript(channel: Int) -> Float {
        channel == 0 ? red : channel == 1 ? green : blue
    }
}
