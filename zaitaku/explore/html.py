"""The explorer's HTML, from the Jinja2 templates in ``templates/`` (autoescaped).

Names, labels and sentences from the data are escaped by the templates; the only markup passed in
is what zaitaku builds itself: tables from ``DataFrame.to_html(escape=True)`` and rendered panels.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATES = "templates"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("zaitaku.explore", TEMPLATES),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def frame_html(frame: Any, **kwargs: Any) -> Markup:
    """A DataFrame as an HTML table, cell text escaped by pandas."""
    return Markup(frame.to_html(border=0, escape=True, **kwargs))


def trusted(html: str) -> Markup:
    """Markup that one of these templates rendered (already escaped)."""
    return Markup(html)
