"""Reference HTML for medsynth's Markdown tests, rendered by cmark-gfm itself.

Run: pip install cmarkgfm; python3 make_commonmark_fixtures.py > cases.json

Each case is Markdown that a notebook's prose is likely to hold, chosen from the CommonMark and
GFM specifications' examples where their rules are subtle (emphasis, code spans, escapes, links,
lists, tables). cmark-gfm renders them with the extensions medsynth enables (table,
strikethrough, autolink) and without unsafe HTML; none holds raw HTML, which medsynth shows as
text where cmark would drop it (tested separately).
"""
import json
from importlib.metadata import version

import cmarkgfm
from cmarkgfm.cmark import Options

CASES = [
    # Emphasis (spec 6.2): intraword underscores do not emphasise, asterisks do.
    "foo_bar_baz and snake_case_name",
    "x_t = sqrt(a_t) · x_0",
    "*foo*bar",
    "_foo_bar",
    "__foo, __bar__, baz__",
    "*foo**bar**baz*",
    "**foo*bar*baz**",
    "*(*foo*)*",
    "foo*bar*",
    "a * b * c",
    "***strong emph***",
    "_ foo bar_",
    "*foo`*`",
    # Code spans (spec 6.1).
    "`foo`",
    "`` foo ` bar ``",
    "` `` `",
    "`foo   bar \nbaz`",
    "`foo\\`bar`",
    "``foo`",
    "`a < b` and `x_t`",
    # Backslash escapes and entities (spec 2.4, 2.5).
    "\\*not emphasised\\* \\_ \\\\ \\` \\# \\[",
    "\\\\*emphasis*",
    "&copy; &amp; &#35; &#x22; &nbsp;x",
    "a\\\nb",
    # Line breaks and paragraphs.
    "first line  \nsecond line",
    "one\ntwo\n\nthree",
    "`code` at the start of a line\n`more code` too",
    # Headings.
    "# Title\n\n## Section *one*\n\n### 3.1 Sub",
    "Setext\n======\n\nTwo\n---",
    "#5 bolt\n\n#hashtag",
    # Links and images.
    "[link](/uri \"title\")",
    "[link](<foo bar>)",
    "[a](https://example.org/page?a=1&b=2)",
    "![an image](pictures/x.png \"tip\")",
    "[ref][1]\n\n[1]: https://example.org",
    "<https://example.org/auto>",
    "www.example.org and https://example.com/path.",
    "[not a link] (x)",
    # Lists and quotes.
    "- a\n- b\n\n  c\n- d",
    "1. one\n2. two\n3. three",
    "3. start\n4. next",
    "> quoted *text*\n> more",
    "- [ ] not a task list here",
    # Code blocks.
    "```swift\nlet x = 1 < 2\n```",
    "    indented code\n    block",
    "~~~\ntilde fence\n~~~",
    # Tables (GFM 4.10).
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "| left | centre | right |\n|:-----|:------:|------:|\n| 1 | 2 | 3 |",
    "| a | b |\n|---|---|\n| `x \\| y` | **z** |",
    "| a |\n|---|\n| 1 | extra |\n| only",
    # Strikethrough.
    "~~gone~~ and ~one~",
    # Thematic break.
    "above\n\n***\n\nbelow",
]

EXTENSIONS = ["table", "strikethrough", "autolink"]

# Where the cmark-gfm inside cmarkgfm 2025.10.22 departs from the CommonMark specification's own
# example (0.29, example 408, unchanged since), and Debian's libcmark-gfm 0.29.0.gfm.6 follows
# the specification, the specification's answer is recorded.
SPECIFICATION = {
    "__foo, __bar__, baz__": "<p><strong>foo, <strong>bar</strong>, baz</strong></p>\n",
}


def render(markdown):
    if markdown in SPECIFICATION:
        return SPECIFICATION[markdown]
    return cmarkgfm.cmark.markdown_to_html_with_extensions(markdown, options=Options.CMARK_OPT_DEFAULT,
                                                          extensions=EXTENSIONS)


print(json.dumps({
    "renderer": "cmarkgfm " + version("cmarkgfm"),
    "extensions": EXTENSIONS,
    "cases": [{"markdown": case, "html": render(case)} for case in CASES],
}, indent=1, ensure_ascii=False))
