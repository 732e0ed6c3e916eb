"""A tiny document model rendered to both Markdown and self-contained HTML (headings, text, lists, tables, images,
files).

The HTML carries its images and its CSV files inline (data: URIs: each CSV is a download link inside the file,
the small ones also a table), so one file can be attached to a support case as it is. Every text goes through
safe_text (names from the org are shown as written, never as markup).
"""

import base64
import csv
import os

from . import safe_text

INLINE_TABLE_ROWS = 40  # a chart's CSV up to this many rows is also shown as a table in the HTML


class Document:
    def __init__(self, title):
        self.title = title
        self.blocks = [('h', 1, title)]

    def heading(self, text, level=2):
        self.blocks.append(('h', level, text))

    def text(self, text):
        self.blocks.append(('p', text))

    def lead(self, text):
        """The summary a reader reads first: a paragraph, boxed in HTML."""
        self.blocks.append(('lead', text))

    def bullets(self, items):
        if items:
            self.blocks.append(('ul', list(items)))

    def table(self, headers, rows):
        self.blocks.append(('table', list(headers), [list(r) for r in rows]))

    def image(self, path, alt):
        self.blocks.append(('img', path, alt))

    def files(self, items, table=False):
        """[(file name beside the document, what it holds)]: links in Markdown, embedded downloads in HTML."""
        if items:
            self.blocks.append(('files', list(items), table))

    def chart(self, heading, text, png):
        """A chart's section: its heading (once: the picture's own title says its message), what to read in it,
        the picture, and the CSV beside it (embedded in the HTML, as a download and, when small, a table)."""
        self.heading(heading)
        if text:
            self.text(text)
        self.image(png, f'chart {png}')
        self.files([(f'{png[:-4]}.csv', 'the numbers drawn')], table=True)

    def markdown(self):
        out = []
        for block in self.blocks:
            kind = block[0]
            if kind == 'h':
                out.append('#' * block[1] + ' ' + _md(block[2]))
            elif kind in ('p', 'lead'):
                out.append(_md(block[1]))
            elif kind == 'ul':
                out.append('\n'.join(f'- {_md(item)}' for item in block[1]))
            elif kind == 'files':
                out.append('\n'.join(f'- [{name}]({name}): {_md(what)}' for name, what in block[1]))
            elif kind == 'table':
                headers, rows = block[1], block[2]
                lines = ['| ' + ' | '.join(map(_cell, headers)) + ' |', '|' + '---|' * len(headers)]
                lines += ['| ' + ' | '.join(map(_cell, r)) + ' |' for r in rows]
                out.append('\n'.join(lines))
            elif kind == 'img':
                out.append(f'![{_md(block[2])}]({block[1]})')
        return '\n\n'.join(out) + '\n'

    def html(self, base_dir=None):
        body = []
        for block in self.blocks:
            kind = block[0]
            if kind == 'h':
                body.append(f'<h{block[1]}>{_esc(block[2])}</h{block[1]}>')
            elif kind == 'p':
                body.append(f'<p>{_esc(block[1])}</p>')
            elif kind == 'lead':
                body.append(f'<p class="lead">{_esc(block[1])}</p>')
            elif kind == 'ul':
                body.append('<ul>' + ''.join(f'<li>{_esc(i)}</li>' for i in block[1]) + '</ul>')
            elif kind == 'table':
                head = ''.join(f'<th>{_esc(h)}</th>' for h in block[1])
                rows = ''.join('<tr>' + ''.join(f'<td>{_esc(c)}</td>' for c in r) + '</tr>' for r in block[2])
                body.append(f'<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
            elif kind == 'img':
                body.append(f'<figure><img src="{_esc(_inline(block[1], base_dir))}" alt="{_esc(block[2])}">'
                            '</figure>')
            elif kind == 'files':
                body.append(_files_html(block[1], block[2], base_dir))
        style = ('body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}'
                 'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;'
                 'text-align:left}th{background:#f3f3f3}img{max-width:100%}figure{margin:1.5em 0}'
                 '.lead{background:#f4f8fb;border-left:4px solid #0072B2;padding:0.8em 1em;line-height:1.5}'
                 'details{margin:0.3em 0 1em}summary{cursor:pointer}')
        return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_esc(self.title)}</title>'
                f'<style>{style}</style></head><body>\n' + '\n'.join(body) + '\n</body></html>\n')


def _cell(value):
    return _md(value)  # "|" is escaped with the rest: a name never splits a cell


def _md(value):
    return safe_text.markdown(value)


def _esc(value):
    return safe_text.html(value)


def _files_html(items, table, base_dir):
    """Each file a download link holding the file itself (data: URI); a small CSV also as a table."""
    parts = []
    for name, what in items:
        full = os.path.join(base_dir, name) if base_dir else None
        if not full or not os.path.isfile(full):
            parts.append(f'<{"p" if table else "li"}>{_esc(name)}: {_esc(what)}</{"p" if table else "li"}>')
            continue
        with open(full, 'rb') as f:
            content = f.read()
        uri = 'data:text/csv;charset=utf-8;base64,' + base64.b64encode(content).decode('ascii')
        link = (f'<a download="{_esc(name)}" href="{uri}">{_esc(name)}</a> ({_esc(what)}, '
                f'{len(content):,} bytes, embedded)')
        rows = list(csv.reader(content.decode('utf-8').splitlines())) if table else []
        if table and 1 < len(rows) <= INLINE_TABLE_ROWS + 1:
            head = ''.join(f'<th>{_esc(h)}</th>' for h in rows[0])
            body = ''.join('<tr>' + ''.join(f'<td>{_esc(c)}</td>' for c in r) + '</tr>' for r in rows[1:])
            parts.append(f'<details><summary>Numbers: {link}</summary><table><thead><tr>{head}</tr></thead>'
                         f'<tbody>{body}</tbody></table></details>')
        else:
            parts.append(f'<p>Numbers: {link}</p>' if table else f'<li>{link}</li>')
    if not table:
        return '<ul>' + ''.join(parts) + '</ul>'
    return '\n'.join(parts)


def _inline(path, base_dir):
    """A data: URI of the image when it exists beside the document, else its relative path."""
    full = os.path.join(base_dir, path) if base_dir else None
    if not full or not os.path.isfile(full):
        return path
    with open(full, 'rb') as f:
        return 'data:image/png;base64,' + base64.b64encode(f.read()).decode('ascii')


def write_documents(doc, out_dir):
    """report.md (images beside it) and a self-contained report.html; returns their paths."""
    paths = []
    for name, content in (('report.md', doc.markdown()), ('report.html', doc.html(out_dir))):
        path = os.path.join(out_dir, name)
        with open(path, 'w', encoding='utf-8') as f:
            f.write(content)
        paths.append(path)
    return paths
