"""External text made safe for each output format the packs write: CSV, Markdown, HTML, chart labels, a terminal.

Names come from the customer's org (OAuth clients, charges, queues, Data Actions) and are untrusted: a client
named `=HYPERLINK(...)` must not become a formula in a spreadsheet, `<script>` must not become HTML in a
Markdown viewer, `Sync $$ job` must not crash matplotlib's mathtext, and a right-to-left override must not
reorder what a reviewer reads. Every pack writer goes through this module; nothing else escapes.

- `plain`: one line of text: bidi controls removed, every other control character (newlines, tabs, escape
  sequences) replaced by a space, so a name can never start a line, a heading or a terminal escape.
- `csv_cell`: OWASP's CSV injection rule: a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is
  prefixed with a single quote (the csv module quotes the rest).
- `markdown`: plain text for a Markdown block: raw HTML, links, images, emphasis, math and line-start
  constructs (headings, lists, quotes) escaped, so a renderer shows the characters and nothing else.
- `html`: plain text escaped for HTML (text and attribute values).
- `chart`: plain text for a matplotlib label (mathtext is also switched off where the figures are made).
"""

import html as _html
import re
import unicodedata

# Unicode bidirectional formatting characters (UAX #9): embeddings, overrides, isolates and marks.
BIDI_CONTROLS = frozenset('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c')
CSV_TRIGGERS = ('=', '+', '-', '@', '\t', '\r')
# CommonMark backslash-escapes any ASCII punctuation. Escaped: what starts markup anywhere in a line (code,
# emphasis, links and images need brackets, strikethrough, math, table cells, emails); "_" only where it can
# open or close emphasis (not inside file_names); "://" and "www." so no autolink is made from data.
_MD_INLINE = re.compile(r'[\\`*\[\]#|~$@]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|:(?=//)|(?<=\bwww)\.', re.IGNORECASE)
_MD_BLOCK_START = re.compile(r'^(\s*)(\d*)([-+*=.)])')


def plain(value) -> str:
    """One line: bidi controls dropped; control characters, line and paragraph separators replaced by a space
    (format characters such as the joiners of emoji are kept)."""
    text = '' if value is None else str(value)
    out = []
    for ch in text:
        if ch in BIDI_CONTROLS:
            continue
        category = unicodedata.category(ch)
        if category in ('Cc', 'Zl', 'Zp'):
            out.append(' ')
        else:
            out.append(ch)
    return ''.join(out)


def csv_cell(value):
    """A cell value for csv.writer: numbers as they are, text plain and never read as a formula."""
    if not isinstance(value, str):
        return value
    text = plain(value)
    if text.startswith(CSV_TRIGGERS) or value.startswith(CSV_TRIGGERS):
        return "'" + text
    return text


def markdown(value) -> str:
    """Text for a Markdown paragraph, list item, table cell or heading: shown as written, never as markup."""
    text = _html.escape(plain(value), quote=False)  # no raw HTML: <script> becomes &lt;script&gt;
    text = _MD_INLINE.sub(lambda m: '\\' + m.group(0), text)
    # A list item, a quote or a setext line only at the start of a block: "1." and "-" are escaped there.
    match = _MD_BLOCK_START.match(text)
    if match and (match.group(3) in '.)') == bool(match.group(2)):
        text = match.group(1) + match.group(2) + '\\' + text[match.end(2):]
    return text


def html(value) -> str:
    return _html.escape(plain(value), quote=True)


def chart(value) -> str:
    """A chart text whose line breaks are the toolkit's own: each line plain (mathtext is off in charts.py)."""
    if value is None:
        return ''
    return '\n'.join(plain(line) for line in str(value).split('\n'))
