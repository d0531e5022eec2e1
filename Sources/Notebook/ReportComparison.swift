import Foundation

/// Two runs of a notebook compared through their JSON reports (`medsynth diff A.json B.json`):
/// cell by cell (by label), each display in order and each expectation by line.
///
/// - Text (a number, a tensor's summary, a list) is compared number by number within the
///   tolerances, when the two texts are the same with their numbers left out; otherwise as text.
/// - Tables: the same columns and rows, each number within the tolerances, other cells equal.
/// - Figures: the same title; two raster images (PNG) are also compared by SSIM, which
///   `imageSimilarity` computes (it is given both files, and returns nil when it cannot).
/// - Expectations: the same outcome, and the values they compared within the tolerances.
///
/// A number agrees when |a - b| <= absolute + relative |b| (NumPy's `isclose`, as `~`).
public struct ReportComparison {
    public struct Difference: Equatable, CustomStringConvertible {
        /// Where: "cell train, display 2 (text)".
        public var place: String
        public var detail: String

        public var description: String { "\(place): \(detail)" }
    }

    public var absoluteTolerance = 1e-8
    public var relativeTolerance = 1e-5
    /// Figures whose images have an SSIM below this differ.
    public var minimumSSIM = 0.99
    public var imageSimilarity: ((String, String) -> Double?)?

    public private(set) var differences: [Difference] = []
    /// How many values (numbers, texts, cells, figures, outcomes) were compared.
    public private(set) var compared = 0
    /// Figures compared by SSIM, with the score.
    public private(set) var figureScores: [(place: String, ssim: Double)] = []

    public init() {}

    /// A report as `NotebookReport` writes its JSON; nil with the reason when it is not one.
    public static func parse(_ data: Data) -> Result<[String: Any], ReportError> {
        guard let object = try? JSONSerialization.jsonObject(with: data), let report = object as? [String: Any],
              report["cells"] is [[String: Any]] else {
            return .failure(ReportError(message: "is not a medsynth JSON report (no 'cells')"))
        }
        return .success(report)
    }

    public struct ReportError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Compares report `a` with report `b`.
    public mutating func compare(_ a: [String: Any], _ b: [String: Any]) {
        let cellsA = (a["cells"] as? [[String: Any]]) ?? []
        let cellsB = (b["cells"] as? [[String: Any]]) ?? []
        let labelsB = Set(cellsB.compactMap { $0["label"] as? String })
        for cell in cellsA {
            guard let label = cell["label"] as? String else { continue }
            guard let other = cellsB.first(where: { $0["label"] as? String == label }) else {
                differences.append(Difference(place: "cell \(label)", detail: "only in the first run"))
                continue
            }
            compareCell(label, cell, other)
        }
        for label in labelsB.subtracting(cellsA.compactMap { $0["label"] as? String }).sorted() {
            differences.append(Difference(place: "cell \(label)", detail: "only in the second run"))
        }
    }

    private mutating func compareCell(_ label: String, _ a: [String: Any], _ b: [String: Any]) {
        let errorA = a["error"] as? String, errorB = b["error"] as? String
        if errorA != errorB {
            differences.append(Difference(place: "cell \(label)", detail: "error \(errorA.map { "'\($0)'" } ?? "none") against \(errorB.map { "'\($0)'" } ?? "none")"))
        }
        let displaysA = (a["displays"] as? [[String: Any]]) ?? [], displaysB = (b["displays"] as? [[String: Any]]) ?? []
        if displaysA.count != displaysB.count {
            differences.append(Difference(place: "cell \(label)", detail: "\(displaysA.count) displays against \(displaysB.count)"))
        }
        for (index, (x, y)) in zip(displaysA, displaysB).enumerated() {
            let kind = x["kind"] as? String ?? "?"
            let place = "cell \(label), display \(index + 1) (\(kind))"
            guard kind == y["kind"] as? String else {
                differences.append(Difference(place: place, detail: "a \(kind) against a \(y["kind"] as? String ?? "?")"))
                continue
            }
            switch kind {
            case "text": compareText(place, x["value"] as? String ?? "", y["value"] as? String ?? "")
            case "table": compareTable(place, x, y)
            case "figure": compareFigure(place, x, y)
            default: break
            }
        }
        let expectsA = (a["expects"] as? [[String: Any]]) ?? [], expectsB = (b["expects"] as? [[String: Any]]) ?? []
        for x in expectsA {
            let line = x["line"] as? Int ?? 0
            let place = "cell \(label), line \(line): expect \(x["expression"] as? String ?? "")"
            guard let y = expectsB.first(where: { $0["line"] as? Int == line && $0["expression"] as? String == x["expression"] as? String }) else {
                differences.append(Difference(place: place, detail: "only in the first run"))
                continue
            }
            compared += 1
            if x["passed"] as? Bool != y["passed"] as? Bool {
                differences.append(Difference(place: place, detail: "\((x["passed"] as? Bool) == true ? "held" : "failed") against \((y["passed"] as? Bool) == true ? "held" : "failed")"))
            }
            compareText(place + " (values)", x["value"] as? String ?? "", y["value"] as? String ?? "")
        }
    }

    /// Numbers in `text`, and the text with each replaced by "#".
    static func numbers(in text: String) -> (skeleton: String, values: [Double]) {
        let pattern = try! NSRegularExpression(pattern: #"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|\bnan\b|[-+]?\binf\b"#)
        var skeleton = ""
        var values: [Double] = []
        var last = text.startIndex
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let range = Range(match.range, in: text) else { continue }
            skeleton += text[last..<range.lowerBound] + "#"
            let written = String(text[range])
            values.append(Double(written) ?? (written.contains("nan") ? .nan : written.hasPrefix("-") ? -.infinity : .infinity))
            last = range.upperBound
        }
        skeleton += text[last...]
        return (skeleton, values)
    }

    func agree(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= absoluteTolerance + relativeTolerance * abs(b)
    }

    private mutating func compareText(_ place: String, _ a: String, _ b: String) {
        let (skeletonA, valuesA) = Self.numbers(in: a)
        let (skeletonB, valuesB) = Self.numbers(in: b)
        guard skeletonA == skeletonB, valuesA.count == valuesB.count else {
            compared += 1
            if a != b { differences.append(Difference(place: place, detail: "\(Self.shown(a)) against \(Self.shown(b))")) }
            return
        }
        compared += valuesA.count
        let disagreeing = zip(valuesA, valuesB).enumerated().filter { !agree($0.element.0, $0.element.1) }
        if let (index, (x, y)) = disagreeing.first {
            let more = disagreeing.count > 1 ? " (and \(disagreeing.count - 1) more of its \(valuesA.count) numbers)" : ""
            differences.append(Difference(
                place: place, detail: "\(Self.format(x)) against \(Self.format(y)), number \(index + 1) of \(Self.shown(a))\(more)"))
        }
    }

    private mutating func compareTable(_ place: String, _ a: [String: Any], _ b: [String: Any]) {
        let columnsA = a["columns"] as? [String] ?? [], columnsB = b["columns"] as? [String] ?? []
        let rowsA = a["rows"] as? [[Any]] ?? [], rowsB = b["rows"] as? [[Any]] ?? []
        guard columnsA == columnsB, rowsA.count == rowsB.count else {
            differences.append(Difference(place: place, detail: "columns \(columnsA) in \(rowsA.count) rows against \(columnsB) in \(rowsB.count) rows"))
            return
        }
        for (row, (x, y)) in zip(rowsA, rowsB).enumerated() {
            for (column, (p, q)) in zip(x, y).enumerated() {
                compared += 1
                let name = column < columnsA.count ? columnsA[column] : "\(column + 1)"
                // JSON's true and false arrive as Bool; a number (0 and 1 too) as a number.
                if type(of: p) != Bool.self, type(of: q) != Bool.self, let p = p as? Double, let q = q as? Double {
                    if !agree(p, q) {
                        differences.append(Difference(place: "\(place), row \(row + 1), \(name)", detail: "\(Self.format(p)) against \(Self.format(q))"))
                    }
                } else if let p = p as? [String: Any], let q = q as? [String: Any] {
                    // An estimate: its value, bounds and p-value as numbers.
                    let keys = ["value", "lower", "upper", "p"]
                    let same = keys.allSatisfy { key in
                        switch (p[key] as? Double, q[key] as? Double) {
                        case (nil, nil): return true
                        case (let x?, let y?): return agree(x, y)
                        default: return false
                        }
                    }
                    if !same {
                        differences.append(Difference(
                            place: "\(place), row \(row + 1), \(name)", detail: "\(p["text"] ?? "?") against \(q["text"] ?? "?")"))
                    }
                } else if "\(p)" != "\(q)" {
                    differences.append(Difference(place: "\(place), row \(row + 1), \(name)", detail: "\(p) against \(q)"))
                }
            }
        }
    }

    private mutating func compareFigure(_ place: String, _ a: [String: Any], _ b: [String: Any]) {
        compared += 1
        let titleA = a["title"] as? String ?? "", titleB = b["title"] as? String ?? ""
        if titleA != titleB {
            differences.append(Difference(place: place, detail: "titled \(Self.shown(titleA)) against \(Self.shown(titleB))"))
        }
        guard let imageA = a["image"] as? String, let imageB = b["image"] as? String,
              imageA.hasSuffix(".png"), imageB.hasSuffix(".png"), let score = imageSimilarity?(imageA, imageB) else { return }
        figureScores.append((place, score))
        if score < minimumSSIM {
            differences.append(Difference(place: place, detail: String(format: "the images differ: SSIM %.4f (below %.2f)", score, minimumSSIM)))
        }
    }

    static func shown(_ text: String) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        return "\"" + (line.count > 80 ? line.prefix(80) + "…" : line[...]) + "\""
    }

    static func format(_ value: Double) -> String {
        String(format: "%.6g", value)
    }
}
