"""Hints on TOML syntax errors: the reader says where it stopped, not what a model's
author most likely typed (a value without quotes, `True`, an inline table across lines).
"""

from __future__ import annotations

import re

# What the TOML reader's message means for a model's author, by how the message starts.
SYNTAX_HINTS = {
    "Unescaped '\\'": "in double quotes a backslash starts an escape: write a regular "
    "expression in single quotes, where a backslash stays one ('\\d+')",
    "Cannot overwrite a value": "a key is set twice in the same table",
    "Cannot declare": "a [table] appears twice: merge the two; only [[rules]] may repeat",
    "Illegal character '\\n'": "a string is not closed before the end of its line",
    "Expected '=' after a key": "a key and its value are joined by =, as in points = 10",
}
AT_LINE = re.compile(r"\(at line ([0-9]+), column ([0-9]+)\)")


def syntax_hint(text: str, message: str) -> str:
    """A hint on the likely mistake behind a TOML syntax error, or ""."""
    hint = next((h for start, h in SYNTAX_HINTS.items() if message.startswith(start)), "")
    found = AT_LINE.search(message)
    if not hint and found:
        lines = text.splitlines()
        line_no, column = int(found[1]), int(found[2])
        line = lines[line_no - 1] if line_no <= len(lines) else ""
        hint = value_hint(message, line, line[column - 1 :])
    return f" ({hint})" if hint else ""


def value_hint(message: str, line: str, rest: str) -> str:
    """The likely mistake in the value or key at `rest`, the text where reading stopped."""
    if message.startswith("Invalid value"):
        if rest[:1] in "\u201c\u201d\u2018\u2019" and rest:
            return "write straight quotes, \"...\" or '...', not typographic ones"
        word = re.match(r"[A-Za-z_][A-Za-z0-9_-]*", rest)
        if word and word[0].lower() in ("true", "false", "yes", "no"):
            return "a boolean is true or false, in lower case"
        if word:
            return f'text goes in quotes: "{word[0]}"'
    if message.startswith("Invalid initial character") and "{" in line:
        if rest.lstrip().startswith("}"):
            return "an inline table { ... } has no comma after its last item"
        if line.count("{") > line.count("}"):
            return (
                "an inline table { ... } must end on the line it starts: "
                "break lines only inside [ ... ]"
            )
    return ""
