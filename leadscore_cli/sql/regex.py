"""`matches` patterns for the dialects' regex engines, which read some of polars' (Rust's)
syntax differently.

RE2 (DuckDB, BigQuery) and Java (Spark, Databricks) agree with Rust on the common
syntax, but some Rust constructs mean something else there without any error: a nested
class `[a[bc]]` or a class operation `[a-z&&[^aeiou]]` is read as literal brackets and
ampersands, `\\<` as a literal `<`, and in Java `[[:alpha:]]` is the set of the characters
`:alph`. Such a pattern would silently match other text, so it is refused. Java also needs
flags to read text as Rust does: Unicode classes and case folding (`(?U)`), and only `\\n`
ending a line (`(?d)`).
"""

from __future__ import annotations

# Inline flags each engine reads as Rust does. `U` swaps greediness in Rust and RE2, which
# changes what a match spans but not whether text matches; in Java it makes classes
# Unicode, as the prefix already has them. So `(?U)` passes everywhere, but Java's `(?-U)`
# would turn Unicode classes off again (`\w` no longer matching `é`): see `flags_problem`.
FLAGS = {"re2": "imsU", "java": "imsUx"}
# Flags an engine reads as Rust does only when set, not when turned off with `-`
NOT_OFF = {"re2": "", "java": "U"}
# Prepended to every pattern: Java's classes, case folding and line ends as Rust's
PREFIX = {"re2": "", "java": "(?dU)"}
CLASS_OPERATORS = ("&&", "--", "~~")


def engine_prefix(engine: str, case_sensitive: bool) -> str:
    """The flags a pattern is run with: Rust's reading, and case folding unless asked."""
    return PREFIX[engine] + ("" if case_sensitive else "(?i)")


def unfaithful_syntax(pattern: str, engine: str) -> str | None:
    """The first construct of `pattern` that `engine` reads otherwise than Rust, or None.

    A scan, not a parser: polars has already checked that the pattern is valid Rust
    syntax, so only escapes, character classes and flag groups need telling apart."""
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\":
            found = escape_problem(pattern, i, engine, in_class=False)
            if found:
                return found
            i += 2
        elif char == "[":
            found, i = class_problem(pattern, i, engine)
            if found:
                return found
        elif pattern.startswith("(?", i):
            found = flags_problem(pattern, i + 2, engine)
            if found:
                return found
            i += 2
        else:
            i += 1
    return None


def escape_problem(pattern: str, i: int, engine: str, *, in_class: bool) -> str | None:
    following = pattern[i + 1 : i + 2]
    if not in_class and following in ("<", ">"):
        return f"the word boundary `\\{following}`"
    if not in_class and following in ("b", "B") and pattern.startswith("{", i + 2):
        return f"the word boundary `\\{following}{{...}}`"
    if engine == "java" and following == "v":
        return "`\\v` (a vertical tab in Rust)"
    return None


def class_problem(pattern: str, start: int, engine: str) -> tuple[str | None, int]:
    """Check the class opening at `start`; return a problem, or None and the index after it."""
    i = start + 1
    if pattern.startswith("^", i):
        i += 1
    if pattern.startswith("]", i):  # a `]` first in a class is a literal
        i += 1
    while i < len(pattern):
        if pattern[i] == "\\":
            found = escape_problem(pattern, i, engine, in_class=True)
            if found:
                return found, i
            i += 2
            continue
        if pattern[i] == "]":
            return None, i + 1
        posix = posix_class_end(pattern, i)
        if posix:
            if engine == "java":
                return "a POSIX class such as `[[:alpha:]]`", i
            i = posix
            continue
        if pattern[i] == "[":
            return "a class nested in a class, such as `[a[bc]]`", i
        operator = next((op for op in CLASS_OPERATORS if pattern.startswith(op, i)), None)
        if operator:
            return f"the class operation `{operator}`", i
        i += 1
    return None, i


def posix_class_end(pattern: str, i: int) -> int:
    """The index after a POSIX class `[:name:]` or `[:^name:]` at `i`, or 0 if none is."""
    if not pattern.startswith("[:", i):
        return 0
    end = pattern.find(":]", i + 2)
    name = pattern[i + 2 : end].removeprefix("^")
    return end + 2 if end > 0 and name.isalpha() and name.isascii() else 0


def flags_problem(pattern: str, i: int, engine: str) -> str | None:
    """An inline flag group `(?flags)` or `(?flags:...)` with a flag `engine` reads otherwise."""
    end = i
    while end < len(pattern) and (pattern[end].isalpha() or pattern[end] == "-"):
        end += 1
    if end == i or pattern[end : end + 1] not in (")", ":"):
        return None  # `(?P<name>`, `(?<name>`: a group, not flags
    flags = pattern[i:end]
    unknown = sorted(set(flags) - set(FLAGS[engine]) - {"-"})
    if unknown:
        return f"the inline flag `{unknown[0]}`"
    turned_off = flags.partition("-")[2]
    off = sorted(set(turned_off) & set(NOT_OFF[engine]))
    if off:
        return f"the inline flag `-{off[0]}`"
    return None
