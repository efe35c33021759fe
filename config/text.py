"""Text that no database stores (API.md section 1): a NUL character, which PostgreSQL refuses in
text and JSON, and a lone surrogate (U+D800-U+DFFF), which Python's JSON decoder lets through
from a ``"\\ud800"`` escape but no UTF-8 encoder (psycopg's, PyMySQL's, the JSON renderer's)
accepts. Plain Python, no Django: the field client imports it too.

``find_bad_text(value)`` walks a parsed JSON document (keys and string values) and names the
first place holding such text, e.g. ``events[3].payload.notes``; ``text_storable`` and
``json_storable`` replace the characters with U+FFFD so that what was sent can be kept for review.
"""

from __future__ import annotations

import re
from typing import Any

BAD_TEXT_MESSAGE = "must not contain NUL characters or lone surrogates (U+D800-U+DFFF)"
REPLACEMENT = "\ufffd"
_BAD = re.compile("[\x00\ud800-\udfff]")


def text_is_bad(text: str) -> bool:
    return _BAD.search(text) is not None


def text_storable(text: str) -> str:
    """``text`` with NUL characters and lone surrogates replaced by U+FFFD."""
    return _BAD.sub(REPLACEMENT, text)


def _child_path(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    name = text_storable(str(key))[:100]
    return f"{path}.{name}" if path else name


def find_bad_text(value: Any, path: str = "") -> str | None:
    """The path of the first key or string in ``value`` holding a NUL or a lone surrogate, or None.

    A bad key is named by its path with the characters replaced (``payload.no\\ufffdtes``).
    Iterative, so a deeply nested document cannot exhaust the stack."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if text_is_bad(item):
                return where or "body"
        elif isinstance(item, dict):
            children = []
            for key, inner in item.items():
                child = _child_path(where, key)
                if isinstance(key, str) and text_is_bad(key):
                    return child
                children.append((inner, child))
            stack.extend(reversed(children))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed([(inner, _child_path(where, n)) for n, inner in enumerate(item)]))
    return None


def json_storable(value: Any) -> Any:
    """A copy of a parsed JSON document with every key and string made storable (``text_storable``).
    Iterative like ``find_bad_text``."""
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]  # (source, destination container, slot)
    while stack:
        item, into, slot = stack.pop()
        if isinstance(item, str):
            into[slot] = text_storable(item)
        elif isinstance(item, dict):
            copy: dict = {}
            into[slot] = copy
            for key, inner in item.items():
                key = text_storable(key) if isinstance(key, str) else key
                copy[key] = None
                stack.append((inner, copy, key))
        elif isinstance(item, (list, tuple)):
            copy_list: list = [None] * len(item)
            into[slot] = copy_list
            stack.extend((inner, copy_list, n) for n, inner in enumerate(item))
        else:
            into[slot] = item
    return root[0]
