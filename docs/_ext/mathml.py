"""Render :math: and ``.. math::`` as MathML at build time.

The site must read offline, so no MathJax or KaTeX from a CDN: the LaTeX is
converted to MathML by latex2mathml when the page is written, and browsers
render MathML themselves (Chromium since 109, Firefox and Safari for
longer).
"""

from docutils import nodes
from latex2mathml.converter import convert


def visit_inline(self, node):
    self.body.append(convert(node.astext()))
    raise nodes.SkipNode


def visit_block(self, node):
    latex = node.astext()
    # one equation per paragraph of the directive, as Sphinx's other renderers
    for part in (p for p in latex.split("\n\n") if p.strip()):
        self.body.append(
            '<div class="math notranslate">'
            + convert(part.strip(), display="block")
            + "</div>"
        )
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_inline, None), (visit_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
