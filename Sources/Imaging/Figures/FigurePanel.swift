import Engine

/// One panel of an image grid: what to draw and the title above it.
///
/// Every panel becomes RGB values in 0...255 (rounded to whole numbers):
/// - a grey image `[H, W]` or `[1, H, W]` is windowed: the window's lower end maps to 0, its upper
///   end to 255, linearly, values outside clipped. Without a window, each panel uses its own
///   minimum and maximum (a constant panel is black); NaN is drawn black;
/// - an RGB image `[3, H, W]` is taken as 0...255 values, clipped;
/// - a label map (`[H, W]` or `[1, H, W]`, whole numbers) is coloured with `FigureColour.cardiacLabels`
///   (0 black, 1 RV red, 2 myocardium green, 3 LV blue); over an image, label 0 is transparent
///   and the others are blended with the given opacity;
/// - an edge map (`[H, W]` or `[1, H, W]`, nonzero = edge) over a grey image paints its edge
///   pixels in one colour.
public struct FigurePanel: Sendable {
    enum Content: Sendable {
        case image(Tensor, window: ClosedRange<Float>?)
        case mapped(Tensor, window: ClosedRange<Float>, map: ColourMap)
        case labels(Tensor, over: Tensor?, window: ClosedRange<Float>?, opacity: Float)
        case edges(Tensor, over: Tensor, window: ClosedRange<Float>?, colour: FigureColour)
    }

    let content: Content
    /// Drawn above the panel in the built-in 5 × 7 font; clipped to the panel's width.
    public var title: String

    /// A grey (`[H, W]`, `[1, H, W]`, windowed) or RGB (`[3, H, W]`, 0...255) image.
    public static func image(_ image: Tensor, window: ClosedRange<Float>? = nil, title: String = "") -> FigurePanel {
        FigurePanel(content: .image(image, window: window), title: title)
    }

    /// A label map in the cardiac colour map, alone (0 black) or blended over a grey image
    /// (0 transparent): colour = (1 - opacity) grey + opacity label colour.
    public static func labels(_ labels: Tensor, over image: Tensor? = nil, window: ClosedRange<Float>? = nil,
                              opacity: Float = 0.5, title: String = "") -> FigurePanel {
        FigurePanel(content: .labels(labels, over: image, window: window, opacity: opacity), title: title)
    }

    /// A grey image `[H, W]` or `[1, H, W]` through a colour map: `window`'s low end is the
    /// map's first colour, its high end the last (values outside clipped, NaN black).
    public static func mapped(_ image: Tensor, window: ClosedRange<Float>, map: ColourMap, title: String = "") -> FigurePanel {
        FigurePanel(content: .mapped(image, window: window, map: map), title: title)
    }

    /// An edge map drawn in `colour` over a grey image.
    public static func edges(_ edges: Tensor, over image: Tensor, window: ClosedRange<Float>? = nil,
                             colour: FigureColour = .yellow, title: String = "") -> FigurePanel {
        FigurePanel(content: .edges(edges, over: image, window: window, colour: colour), title: title)
    }

    /// The shape of the panel's tensor (the label or edge map for an overlay), for messages.
    var shape: [Int] {
        switch content {
        case let .image(image, _): image.shape
        case let .mapped(image, _, _): image.shape
        case let .labels(labels, _, _, _): labels.shape
        case let .edges(edges, _, _, _): edges.shape
        }
    }

    /// The panel's height and width, and its pixels as three planes (red, green, blue) of
    /// height × width values in 0...255. `position` names the panel in errors.
    func render(position: String) throws -> (height: Int, width: Int, rgb: [Float]) {
        switch content {
        case let .image(image, window):
            if image.rank == 3 && image.shape[0] == 3 {
                return (image.shape[1], image.shape[2], image.scalars.map { clippedToBytes($0).rounded() })
            }
            let (height, width) = try planeSize(image, role: "image", position: position, allowRGB: true)
            return (height, width, greyToRGB(windowed(image.scalars, window)))
        case let .mapped(image, window, map):
            let (height, width) = try planeSize(image, role: "image", position: position)
            let plane = height * width
            var rgb = [Float](repeating: 0, count: 3 * plane)
            let span = window.upperBound - window.lowerBound
            for (i, value) in image.scalars.enumerated() where !value.isNaN {
                let colour = map.colour(at: span > 0 ? (value - window.lowerBound) / span : 0.5)
                for c in 0..<3 { rgb[c * plane + i] = colour[c].rounded() }
            }
            return (height, width, rgb)
        case let .labels(labels, image, window, opacity):
            let (height, width) = try planeSize(labels, role: "label map", position: position)
            var rgb: [Float]
            if let image {
                let size = try planeSize(image, role: "image", position: position)
                try requireSame(size, (height, width), position: position, labels.shape, image.shape)
                rgb = greyToRGB(windowed(image.scalars, window))
            } else {
                rgb = [Float](repeating: 0, count: 3 * height * width)
            }
            let plane = height * width
            for (i, value) in labels.scalars.enumerated() {
                guard value == value.rounded(), (0...3).contains(value) else {
                    throw TensorError("imageGrid", "panel \(position): label \(value) at pixel \(i / width), \(i % width) is not one of 0, 1, 2, 3")
                }
                let label = Int(value)
                guard label != 0 || image == nil else { continue }
                let colour = FigureColour.cardiacLabels[label]
                let weight = image == nil ? 1 : opacity
                for c in 0..<3 {
                    rgb[c * plane + i] = ((1 - weight) * rgb[c * plane + i] + weight * colour[c]).rounded()
                }
            }
            return (height, width, rgb)
        case let .edges(edges, image, window, colour):
            let (height, width) = try planeSize(edges, role: "edge map", position: position)
            let size = try planeSize(image, role: "image", position: position)
            try requireSame(size, (height, width), position: position, edges.shape, image.shape)
            var rgb = greyToRGB(windowed(image.scalars, window))
            let plane = height * width
            for (i, value) in edges.scalars.enumerated() where value != 0 {
                for c in 0..<3 { rgb[c * plane + i] = colour[c] }
            }
            return (height, width, rgb)
        }
    }

    /// Height and width of a one-plane tensor `[H, W]` or `[1, H, W]`.
    private func planeSize(_ tensor: Tensor, role: String, position: String, allowRGB: Bool = false) throws -> (Int, Int) {
        let shape = tensor.shape
        if shape.count == 2 { return (shape[0], shape[1]) }
        if shape.count == 3 && shape[0] == 1 { return (shape[1], shape[2]) }
        let expected = allowRGB ? "[H, W], [1, H, W] or [3, H, W]" : "[H, W] or [1, H, W]"
        throw TensorError("imageGrid", "panel \(position): the \(role) has shape \(describeShape(shape)); expected \(expected)")
    }

    private func requireSame(_ a: (Int, Int), _ b: (Int, Int), position: String, _ overlay: [Int], _ image: [Int]) throws {
        guard a == b else {
            throw TensorError("imageGrid", "panel \(position): the overlay \(describeShape(overlay)) and the image \(describeShape(image)) differ in size")
        }
    }
}

/// Maps grey values onto 0...255 through `window`, or through the min...max of their non-NaN
/// values without one; NaN becomes 0.
func windowed(_ values: [Float], _ window: ClosedRange<Float>?) -> [Float] {
    let numbers = values.lazy.filter { !$0.isNaN }
    let low = window?.lowerBound ?? numbers.min() ?? 0
    let high = window?.upperBound ?? numbers.max() ?? 0
    guard high > low else { return values.map { _ in 0 } }
    let scale = 255 / (high - low)
    return values.map { clippedToBytes(($0 - low) * scale).rounded() }
}

/// `value` clipped to 0...255, the range of a figure's pixels; NaN, which no pixel can show, is 0.
func clippedToBytes(_ value: Float) -> Float {
    value.isNaN ? 0 : Swift.min(Swift.max(value, 0), 255)
}

/// Three copies of one grey plane: red, green and blue.
func greyToRGB(_ grey: [Float]) -> [Float] {
    grey + grey + grey
}

/// A colour map for `FigurePanel.mapped`: colours at evenly spaced stops, blended linearly.
public enum ColourMap: String, Sendable, CaseIterable {
    /// Black to white.
    case grey
    /// Blue through white to red, for differences: white is the middle of the window.
    case diverging
    /// Black through red and yellow to white, for magnitudes (an error map).
    case heat

    /// The colours at 0, 1/(n-1), ..., 1.
    public var stops: [FigureColour] {
        switch self {
        case .grey: [.black, .white]
        case .diverging: [FigureColour(red: 33, green: 102, blue: 172), .white, FigureColour(red: 178, green: 24, blue: 43)]
        case .heat: [.black, FigureColour(red: 200, green: 30, blue: 0), FigureColour(red: 255, green: 200, blue: 0), .white]
        }
    }

    /// The colour at `t` in 0...1 (clipped).
    public func colour(at t: Float) -> FigureColour {
        let stops = self.stops
        let x = Swift.min(Swift.max(t.isNaN ? 0 : t, 0), 1) * Float(stops.count - 1)
        let low = Swift.min(Int(x), stops.count - 2)
        let f = x - Float(low)
        let (a, b) = (stops[low], stops[low + 1])
        return FigureColour(red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f, blue: a.blue + (b.blue - a.blue) * f)
    }
}
