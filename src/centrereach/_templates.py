"""Jinja2 templates of the package (``centrereach/templates``), autoescaping on.

Every HTML page, fragment and map script centrereach writes is rendered here: text passed to
a template is escaped unless it is :class:`markupsafe.Markup`, so escaping is a type, not a
convention.

>>> str(render_string("<b>{{ name }}</b>", name="Holme Hall & <Co>"))
'<b>Holme Hall &amp; &lt;Co&gt;</b>'
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["Markup", "environment", "render", "render_string", "script_json"]


def script_json(value: Any) -> Markup:
    """JSON safe inside a ``<script>`` element (compact; ``<``, ``>``, ``&`` escaped).

    >>> str(script_json({"a": "</script>"}))
    '{"a":"\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Markup(
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.cache
def environment() -> jinja2.Environment:
    """The package's template environment (templates from ``centrereach/templates``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("centrereach", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["script_json"] = script_json
    return env


def render(name: str, /, **context: Any) -> Markup:
    """Render the package template ``name`` with ``context``."""
    return Markup(environment().get_template(name).render(**context))


def render_string(source: str, /, **context: Any) -> Markup:
    """Render a template given as text (autoescaped like the package's own)."""
    return Markup(environment().from_string(source).render(**context))
