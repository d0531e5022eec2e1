import CCmark
import Foundation

/// Markdown to HTML through cmark-gfm: CommonMark with GitHub's tables, strikethrough and
/// autolinks, in cmark's safe mode (no `javascript:` links).
///
/// Raw HTML is not dropped, as cmark's safe mode would do, but shown as the text it was written
/// as: each HTML block and inline tag becomes text before rendering. Headings are read as they
/// are rendered, and their levels can be changed, so that the report can number, link and list them.
enum CommonMark {
    struct Heading: Equatable {
        var level: Int
        /// The heading's text, without markup.
        var text: String
        /// Whether nothing comes before it in the Markdown.
        var isFirst = false
    }

    struct Rendered {
        var html: String
        /// Every heading, in order, at the level it was rendered at.
        var headings: [Heading]
    }

    /// cmark-gfm registers its extensions once per process.
    private static let extensionsRegistered: Bool = {
        cmark_gfm_core_extensions_ensure_registered()
        return true
    }()

    /// The extensions GitHub's Markdown has and prose needs (tagfilter is not one: raw HTML is
    /// made text before it could matter, and task lists would render form inputs).
    static let extensions = ["table", "strikethrough", "autolink"]

    /// The HTML of `markdown`. `level` may give a heading another level.
    static func render(_ markdown: String, level: (Heading) -> Int = { $0.level }) -> Rendered {
        precondition(extensionsRegistered)
        let options = CMARK_OPT_DEFAULT
        guard let parser = cmark_parser_new(options) else { return Rendered(html: "", headings: []) }
        defer { cmark_parser_free(parser) }
        for name in extensions {
            if let syntax = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, syntax) }
        }
        var bytes = Array(markdown.utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
        }
        bytes = []
        guard let root = cmark_parser_finish(parser) else { return Rendered(html: "", headings: []) }
        defer { cmark_node_free(root) }

        var rawHTML: [OpaquePointer] = []
        var headingNodes: [OpaquePointer] = []
        if let iterator = cmark_iter_new(root) {
            defer { cmark_iter_free(iterator) }
            while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
                guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
                switch cmark_node_get_type(node) {
                case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE: rawHTML.append(node)
                case CMARK_NODE_HEADING: headingNodes.append(node)
                default: break
                }
            }
        }
        for node in rawHTML { showAsText(node) }
        var headings: [Heading] = []
        for node in headingNodes {
            var heading = Heading(
                level: Int(cmark_node_get_heading_level(node)), text: plainText(of: node), isFirst: cmark_node_first_child(root) == node)
            let newLevel = min(6, max(1, level(heading)))
            if newLevel != heading.level {
                cmark_node_set_heading_level(node, Int32(newLevel))
                heading.level = newLevel
            }
            headings.append(heading)
        }
        guard let html = cmark_render_html(root, options, cmark_parser_get_syntax_extensions(parser)) else {
            return Rendered(html: "", headings: headings)
        }
        defer { free(html) }
        return Rendered(html: String(cString: html), headings: headings)
    }

    /// Replaces a raw HTML node by text: an inline tag by a text node, an HTML block by a
    /// paragraph keeping its lines.
    private static func showAsText(_ node: OpaquePointer) {
        let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
        if cmark_node_get_type(node) == CMARK_NODE_HTML_INLINE {
            guard let text = cmark_node_new(CMARK_NODE_TEXT) else { return }
            cmark_node_set_literal(text, literal)
            cmark_node_replace(node, text)
            cmark_node_free(node)
            return
        }
        guard let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH) else { return }
        let lines = literal.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.isEmpty }
        let trimmed = lines.reversed().drop { $0.isEmpty }.reversed()
        for (index, line) in trimmed.enumerated() {
            if index > 0, let lineBreak = cmark_node_new(CMARK_NODE_LINEBREAK) { cmark_node_append_child(paragraph, lineBreak) }
            if let text = cmark_node_new(CMARK_NODE_TEXT) {
                cmark_node_set_literal(text, String(line))
                cmark_node_append_child(paragraph, text)
            }
        }
        cmark_node_replace(node, paragraph)
        cmark_node_free(node)
    }

    /// The text of a node's descendants: text, code and line breaks as spaces.
    private static func plainText(of node: OpaquePointer) -> String {
        var text = ""
        guard let iterator = cmark_iter_new(node) else { return text }
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let child = cmark_iter_get_node(iterator) else { continue }
            switch cmark_node_get_type(child) {
            case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE:
                text += cmark_node_get_literal(child).map { String(cString: $0) } ?? ""
            case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK:
                text += " "
            default: break
            }
        }
        return text
    }
}
