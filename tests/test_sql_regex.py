"""`matches` in SQL: a pattern runs in the warehouse's regex engine only when that engine
reads it as polars (Rust) does; otherwise the query is refused, naming the rule."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
import sqlglot
from sqlglot import exp

from leadscore_cli.errors import ModelError
from leadscore_cli.model import parse_model
from leadscore_cli.model.schema import Model
from leadscore_cli.sql import compile_model
from tests.test_sql import DAY, assert_same, duckdb_output, engine_output

TEXTS = [
    "b",
    "e",
    "e]",
    "a b",
    "ab",
    "AB",
    "é",
    "É",
    "a.b",
    "ZÜRICH",
    "in zürich.",
    "a\rb",
    "٣",
    ":",
]
REGEX_DIALECTS = ["duckdb", "bigquery", "databricks", "spark"]
JAVA_DIALECTS = ["databricks", "spark"]


def regex_model(pattern: str, case_sensitive: bool = False) -> Model:
    flag = "true" if case_sensitive else "false"
    literal = f"'{pattern}'"  # a TOML literal string: backslashes stay as written
    return parse_model(
        '[model]\nname = "rx"\n[[rules]]\nname = "pattern_rule"\ncategory = "fit"\n'
        f'points = 1\nwhen = {{ field = "t", op = "matches", value = {literal}, '
        f"case_sensitive = {flag} }}\n"
    )


@pytest.fixture
def texts_csv(tmp_path: Path) -> Path:
    path = tmp_path / "texts.csv"
    pl.DataFrame({"t": TEXTS}).write_csv(path)
    return path


@pytest.mark.parametrize(
    ("pattern", "dialects"),
    [
        ("[a-z&&[^aeiou]]", REGEX_DIALECTS),  # RE2: the letters, `&`, `[`, `^` ..., then `]`
        ("[a-c--b]", REGEX_DIALECTS),
        ("[a~~c]", REGEX_DIALECTS),
        ("[a[bc]]", REGEX_DIALECTS),  # Java: `[^a[b]]` even matches `b`
        (r"\<a", REGEX_DIALECTS),  # a literal `<` in both
        (r"\b{start}a", REGEX_DIALECTS),
        ("(?x) a b", ["duckdb", "bigquery"]),  # RE2 stops the query
        ("(?-u)a", REGEX_DIALECTS),
        (r"(?-U)\w+", JAVA_DIALECTS),  # Java: Unicode classes off again, `é` is no `\w`
        (r"(?i-U:\w)", JAVA_DIALECTS),
        ("[[:alpha:]]", JAVA_DIALECTS),  # Java: one of `:`, `a`, `l`, `p`, `h`
        (r"a\vb", JAVA_DIALECTS),
    ],
)
def test_patterns_an_engine_reads_otherwise_are_refused(pattern: str, dialects) -> None:
    model = regex_model(pattern)
    for dialect in REGEX_DIALECTS:
        if dialect in dialects:
            with pytest.raises(ModelError, match=r"rules\[0\] \(pattern_rule\): .* regex engine"):
                compile_model(model, dialect, "leads", DAY)
        else:
            compile_model(model, dialect, "leads", DAY)


@pytest.mark.parametrize(
    "pattern",
    [
        "[[:upper:]]+",
        "[]a]",
        "[^]a]",
        r"[\[\]]",
        r"\x{e9}",
        "(?-i)ab",
        "(?s)a.b",
        r"\pL",
        "(?U)a+",
        r"(?P<first>a)\.b",
        r"^a\.b$|^[a-z] [a-z]$",  # not \b: ASCII in RE2 (docs/sql.md)
        "[a-z-]",
    ],
)
@pytest.mark.parametrize("case_sensitive", [False, True])
def test_patterns_read_alike_match_the_same_texts(
    texts_csv: Path, pattern: str, case_sensitive: bool
) -> None:
    model = regex_model(pattern, case_sensitive)
    assert_same(engine_output(model, texts_csv, True), duckdb_output(model, texts_csv, True))
    for dialect in REGEX_DIALECTS:
        if dialect not in JAVA_DIALECTS or not pattern.startswith("[[:"):
            compile_model(model, dialect, "leads", DAY)


JAVA_MATCHER = """
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;
public class Matcher {
    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        Pattern pattern = Pattern.compile(lines.get(0));
        for (String text : lines.subList(1, lines.size())) {
            String decoded = new String(Base64.getDecoder().decode(text), "UTF-8");
            System.out.println(pattern.matcher(decoded).find());
        }
    }
}
"""


def java_matches(tmp_path: Path, pattern: str, texts: list[str]) -> list[bool]:
    """What Java's java.util.regex (Spark's and Databricks' RLIKE) finds, text by text."""
    import base64

    source = tmp_path / "Matcher.java"
    source.write_text(JAVA_MATCHER)
    cases = tmp_path / "cases.txt"
    encoded = [base64.b64encode(t.encode()).decode() for t in texts]
    cases.write_text("\n".join([pattern, *encoded]) + "\n")
    java = shutil.which("java")
    assert java is not None
    done = subprocess.run([java, source, cases], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [line == "true" for line in done.stdout.split()]


def query_pattern(model: Model, dialect: str) -> str:
    """The regex literal the compiled query hands to the engine."""
    query = sqlglot.parse_one(compile_model(model, dialect, "leads", DAY), read=dialect)
    (match,) = list(query.find_all(exp.RegexpLike))
    return match.expression.name


@pytest.mark.skipif(shutil.which("java") is None, reason="no Java runtime to run the pattern")
@pytest.mark.parametrize("dialect", JAVA_DIALECTS)
@pytest.mark.parametrize(
    ("pattern", "case_sensitive"),
    [("zürich", False), ("é", False), (r"\bzürich\b", True), (r"\d", True), ("a.b", True)],
)
def test_java_dialects_read_text_as_score_does(
    tmp_path: Path, dialect: str, pattern: str, case_sensitive: bool
) -> None:
    """Java folds only ASCII case and keeps `\\w`, `\\d`, `\\b` ASCII unless told, and ends
    lines at `\\r` too: the query's pattern must match exactly the texts polars matches."""
    model = regex_model(pattern, case_sensitive)
    prefix = "" if case_sensitive else "(?i)"
    want = pl.Series(TEXTS).str.contains(prefix + pattern).to_list()
    assert java_matches(tmp_path, query_pattern(model, dialect), TEXTS) == want
