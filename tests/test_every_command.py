"""The contract every subcommand keeps, checked the same way for each.

Scripts call any command the same way: one line on stderr and a documented exit code
when something is wrong, nothing partial left behind, `-q` silent, `--json` one object
on stdout, no colour codes off a terminal. A new command joins `COMMANDS` and gets all
of these checks; the docs' examples are checked against each command's options.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import Result

from leadscore_cli.cli.app import app
from leadscore_cli.errors import EXIT_INPUT, EXIT_MODEL, EXIT_OUTPUT, EXIT_USAGE

from .conftest import AS_OF, B2B_MODEL, ROOT, SAMPLE

GROUP = typer.main.get_command(app)
COMMAND_TABLE = GROUP.commands  # type: ignore[attr-defined]


def is_option(param: object) -> bool:
    return getattr(param, "param_type_name", "") == "option"


@dataclass(frozen=True)
class Command:
    """How to run one command successfully, and where its input, model and output go.

    `argv(input, model)` builds a run reading `input` (the export or history) with
    `model`; `output` is the file the run writes (relative to the working folder)."""

    name: str
    argv: Callable[[str, str], list[str]]
    output: str | None = None
    reads_input: bool = True
    reads_model: bool = True


COMMANDS = [
    Command(
        "score",
        lambda data, model: [data, "-m", model, "-o", "out.csv", "--as-of", AS_OF],
        output="out.csv",
    ),
    Command(
        "validate",
        lambda data, model: ["-m", model, "--data", data, "--as-of", AS_OF],
    ),
    Command(
        "profile",
        lambda data, model: [data, "--target", "converted", "-m", model, "--as-of", AS_OF],
    ),
    Command(
        "grade",
        lambda data, model: [data, "-m", model, "-o", "out.parquet", "--as-of", AS_OF],
        output="out.parquet",
    ),
    Command(
        "threshold",
        lambda data, model: [data, "-m", model, "--outcome", "converted", "--as-of", AS_OF],
    ),
    Command(
        "report",
        lambda data, model: [
            data,
            "-m",
            model,
            "--outcome",
            "converted",
            "--as-of",
            AS_OF,
            "-o",
            "out.md",
        ],
        output="out.md",
    ),
    Command(
        "fit",
        lambda data, model: [data, "--outcome", "converted", "-o", "out.toml", "--seed", "3"],
        output="out.toml",
        reads_model=False,
    ),
    Command(
        "sql",
        lambda data, model: ["-m", model, "--dialect", "duckdb", "--as-of", AS_OF, "-o", "out.sql"],
        output="out.sql",
        reads_input=False,
    ),
    Command(
        "sample",
        lambda data, model: ["-n", "50", "-o", "out.csv", "--seed", "3"],
        output="out.csv",
        reads_input=False,
        reads_model=False,
    ),
]
BY_NAME = {command.name: command for command in COMMANDS}
ANSI = re.compile(r"\x1b\[")


def options(name: str) -> set[str]:
    """Every option string the command accepts (`-m`, `--model`, ...)."""
    command = COMMAND_TABLE[name]
    found = {"-h", "--help"}
    for param in command.params:
        if is_option(param):
            found.update(param.opts)
            found.update(param.secondary_opts)
    return found


def has_option(name: str, option: str) -> bool:
    return option in options(name)


def only(flag: str) -> list[Command]:
    return [c for c in COMMANDS if has_option(c.name, flag)]


def invoke(run, monkeypatch, folder: Path, name: str, *argv: str) -> Result:
    monkeypatch.chdir(folder)
    return run(name, *argv)


def stderr_lines(result: Result) -> list[str]:
    return result.stderr.strip().splitlines()


def assert_one_line_error(result: Result, code: int, needle: str) -> None:
    lines = stderr_lines(result)
    assert result.exit_code == code, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("leadscore: ")
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_every_command_is_covered() -> None:
    assert set(COMMAND_TABLE) == set(BY_NAME)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_runs_cleanly_and_leaves_only_its_output(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv(str(SAMPLE), str(B2B_MODEL))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv)
    assert result.exit_code == 0, result.stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ([command.output] if command.output else [])
    if command.output:
        assert (tmp_path / command.output).stat().st_size > 0
    # Not a terminal (and NO_COLOR aside): plain text, so logs and pipes stay readable.
    assert not ANSI.search(result.stdout)
    assert not ANSI.search(result.stderr)


def test_every_command_takes_quiet() -> None:
    """The README promises `-q` everywhere: a script may pass it to any command."""
    assert [c.name for c in COMMANDS if not has_option(c.name, "-q")] == []


@pytest.mark.parametrize("command", only("--quiet"), ids=lambda c: c.name)
def test_quiet_success_prints_nothing(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv(str(SAMPLE), str(B2B_MODEL))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv, "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    if command.output:  # quiet, but the work is done
        assert (tmp_path / command.output).exists()


@pytest.mark.parametrize("command", only("--json"), ids=lambda c: c.name)
def test_json_is_one_object_on_stdout(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv(str(SAMPLE), str(B2B_MODEL))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv, "--json")
    assert result.exit_code == 0, result.stderr
    assert isinstance(json.loads(result.stdout), dict)
    assert "{" not in result.stderr  # the summary goes to one stream, not both


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.reads_input], ids=lambda c: c.name)
def test_reads_the_export_from_stdin(run, monkeypatch, tmp_path, command) -> None:
    """`-` reads stdin, and the run does what it does on the same file."""
    from_file = tmp_path / "file"
    from_stdin = tmp_path / "stdin"
    from_file.mkdir()
    from_stdin.mkdir()
    argv = command.argv(str(SAMPLE), str(B2B_MODEL))
    by_path = invoke(run, monkeypatch, from_file, command.name, *argv, "-q")
    argv = command.argv("-", str(B2B_MODEL))
    monkeypatch.chdir(from_stdin)
    by_stdin = run(command.name, *argv, "-q", input=SAMPLE.read_bytes())
    assert by_path.exit_code == by_stdin.exit_code == 0, by_stdin.stderr
    assert by_stdin.stdout == by_path.stdout
    if command.output and command.output.endswith(".csv"):
        assert (from_stdin / command.output).read_bytes() == (
            from_file / command.output
        ).read_bytes()


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.reads_input], ids=lambda c: c.name)
def test_missing_input_is_one_line_and_exit_4(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv("no_such_export.csv", str(B2B_MODEL))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv)
    assert_one_line_error(result, EXIT_INPUT, "no_such_export.csv")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.reads_model], ids=lambda c: c.name)
def test_missing_model_is_one_line_and_exit_3(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv(str(SAMPLE), "no_such_model.toml")
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv)
    assert_one_line_error(result, EXIT_MODEL, "no_such_model.toml")
    assert list(tmp_path.iterdir()) == []


def with_output(argv: list[str], output: str) -> list[str]:
    """`argv` with the value of its -o option replaced by `output`."""
    at = argv.index("-o") + 1
    return [*argv[:at], output, *argv[at + 1 :]]


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c.output and c.reads_model], ids=lambda c: c.name
)
def test_never_writes_over_the_model_it_reads(run, monkeypatch, tmp_path, command) -> None:
    model = tmp_path / "model.toml"
    model.write_bytes(B2B_MODEL.read_bytes())
    argv = with_output(command.argv(str(SAMPLE), str(model)), str(model))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv)
    assert_one_line_error(result, EXIT_OUTPUT, "refusing to write over the model file")
    assert model.read_bytes() == B2B_MODEL.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["model.toml"]


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.output], ids=lambda c: c.name)
def test_a_failed_run_leaves_an_existing_output_as_it_was(
    run, monkeypatch, tmp_path, command
) -> None:
    assert command.output is not None
    kept = tmp_path / command.output
    kept.write_bytes(b"last night's file\n")
    if command.reads_model:
        argv = command.argv(str(SAMPLE), "no_such_model.toml")
    elif command.reads_input:
        argv = command.argv("no_such_export.csv", str(B2B_MODEL))
    else:  # nothing to read: make it fail on its options instead
        argv = [*command.argv(str(SAMPLE), str(B2B_MODEL)), "--rows", "0"]
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv)
    assert result.exit_code != 0
    assert kept.read_bytes() == b"last night's file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [command.output]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_debug_shows_the_traceback(run, monkeypatch, tmp_path, command) -> None:
    if command.reads_input:
        argv = command.argv("no_such_export.csv", str(B2B_MODEL))
        code = EXIT_INPUT
    elif command.reads_model:
        argv = command.argv(str(SAMPLE), "no_such_model.toml")
        code = EXIT_MODEL
    else:
        argv = [*command.argv(str(SAMPLE), str(B2B_MODEL)), "-o", str(tmp_path / "no" / "x.csv")]
        code = None
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv, "--debug")
    assert result.exit_code != 0
    if code is not None:
        assert result.exit_code == code  # --debug adds detail, not another exit code
    assert "Traceback" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_unknown_option_is_a_one_line_usage_error(run, monkeypatch, tmp_path, command) -> None:
    argv = command.argv(str(SAMPLE), str(B2B_MODEL))
    result = invoke(run, monkeypatch, tmp_path, command.name, *argv, "--no-such-option")
    assert_one_line_error(result, EXIT_USAGE, "--no-such-option")
    assert f"leadscore {command.name} --help" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_an_option_without_its_value_points_at_the_commands_help(run, command) -> None:
    takes_value = next(
        p.opts[0] for p in COMMAND_TABLE[command.name].params if is_option(p) and not p.is_flag
    )
    result = run(command.name, takes_value)
    assert_one_line_error(result, EXIT_USAGE, f"'{takes_value}' requires an argument")
    assert f"(see 'leadscore {command.name} --help')" in result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_help_teaches_with_an_example_that_parses(run, command) -> None:
    result = run(command.name, "--help")
    assert result.exit_code == 0
    examples = examples_in(result.stdout)
    assert any(name == command.name for name, _ in examples), "no example in --help"
    for name, flags in examples:
        unknown = sorted(flag for flag in flags if not has_option(name, flag))
        assert not unknown, f"`leadscore {name} --help` shows unknown option(s) {unknown}"


def help_example_blocks(text: str) -> list[list[str]]:
    """The example commands of a rendered --help: blank-line separated blocks of the text
    above the option panels whose first line starts with `leadscore `."""
    description = text.split("╭")[0]
    blocks = [block.splitlines() for block in re.split(r"\n[ \t]*\n", description)]
    return [b for b in blocks if b and b[0].strip().startswith("leadscore ")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_help_examples_can_be_pasted_from_an_80_column_terminal(run, monkeypatch, command) -> None:
    """Each example is shown as an indented block that a shell reads as one command: no
    line wrapped by the terminal, a continued line ending in a backslash."""
    monkeypatch.setenv("COLUMNS", "80")
    result = run(command.name, "--help")
    blocks = help_example_blocks(result.stdout)
    assert blocks, "no example in --help"
    for block in blocks:
        shown = "\n".join(block)
        assert all(line.startswith("     ") for line in block), f"not indented:\n{shown}"
        assert all(line.rstrip().endswith("\\") for line in block[:-1]), f"cut:\n{shown}"
        assert not block[-1].rstrip().endswith("\\"), f"continued into nothing:\n{shown}"
        words = shlex.split(" ".join(line.strip().rstrip("\\") for line in block))
        assert words[:2] == ["leadscore", command.name]


def test_top_level_help_names_every_exit_code(run) -> None:
    """A script's author reads what each exit code means in `leadscore --help`, as in the
    README's table."""
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Exit codes")[1]
    codes = re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)
    assert codes
    result = run("--help")
    assert result.exit_code == 0
    shown = re.findall(r"\b(\d+)\s+[a-z(]", result.stdout.split("Exit codes")[-1])
    assert "Exit codes" in result.stdout
    assert sorted(shown, key=int) == sorted(codes, key=int)


def test_each_command_summary_is_one_line() -> None:
    """The first paragraph of a command's help is its line in `leadscore --help`: a
    paragraph of two lines would break that line mid-sentence."""
    broken = [name for name, c in COMMAND_TABLE.items() if "\n" in (c.help or "").split("\n\n")[0]]
    assert broken == []


def test_a_default_is_stated_once_in_help() -> None:
    """An option whose help text says its default does not get Typer's `[default: ...]`
    beside it, which would say it again, possibly in other words (`stdout` and `-`)."""
    twice = [
        f"{name} {param.opts[0]}"
        for name, command in COMMAND_TABLE.items()
        for param in command.params
        if is_option(param)
        and "default" in (param.help or "").lower()
        and param.show_default is not False
        and param.default not in (None, False)
    ]
    assert twice == []


# --- the docs against the commands -----------------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
INVOCATION = re.compile(r"\bleadscore\s+([a-z]+)\b(.*)")
FLAG = re.compile(r"--?[a-zA-Z][\w-]*(=.*)?")


def shell_lines(text: str) -> list[str]:
    """Lines of a text with backslash continuations joined."""
    return text.replace("\\\n", " ").splitlines()


def examples_in(text: str) -> list[tuple[str, list[str]]]:
    """(command, option flags) for each `leadscore <command> ...` call in `text`."""
    found = []
    for line in shell_lines(text):
        for part in re.split(r"\||&&|;|`", line):
            match = INVOCATION.search(part)
            if not match or match.group(1) not in COMMAND_TABLE:
                continue
            try:
                words = shlex.split(match.group(2), comments=True)
            except ValueError:  # prose around an inline example: take words as they are
                words = match.group(2).split()
            flags = [w.split("=", 1)[0] for w in words if FLAG.fullmatch(w)]
            found.append((match.group(1), flags))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_example_in_the_docs_uses_real_options(doc: Path) -> None:
    examples = examples_in(doc.read_text(encoding="utf-8"))
    bad = [
        f"leadscore {name} {flag}"
        for name, flags in examples
        for flag in flags
        if not has_option(name, flag)
    ]
    assert not bad, f"{doc.name} shows options the commands do not have: {bad}"


def test_the_docs_show_every_option_of_every_command() -> None:
    """Each option is documented: shown in an example of its command, or named in the text."""
    texts = "\n".join(doc.read_text(encoding="utf-8") for doc in DOCS)
    shown: dict[str, set[str]] = {}
    for name, flags in examples_in(texts):
        shown.setdefault(name, set()).update(flags)
    missing = []
    for name, command in COMMAND_TABLE.items():
        for param in command.params:
            if not is_option(param) or "--help" in param.opts:
                continue
            seen = any(opt in shown.get(name, set()) or f"`{opt}" in texts for opt in param.opts)
            if not seen:
                missing.append(f"{name} {param.opts[0]}")
    assert not missing, f"options no doc mentions: {missing}"


def stdout_writers(export: str) -> dict[str, list[str]]:
    """Commands writing data to stdout; -q keeps stderr for problems (report's -q would
    print no report at all)."""
    scored = ["-m", str(B2B_MODEL), "-o", "-", "--as-of", AS_OF, "-q"]
    return {
        "score": ["score", export, *scored],
        "grade": ["grade", export, *scored],
        "score-parquet": ["score", export, *scored, "--format", "parquet"],
        "sample": ["sample", "-n", "50000", "-o", "-", "-q"],
        "report": ["report", export, "-m", str(B2B_MODEL), "--outcome", "converted"],
        "sql": ["sql", "-m", str(B2B_MODEL), "-q"],
    }


@pytest.fixture(scope="module")
def larger_export(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Output well beyond a pipe's buffer, so the writer meets the closed pipe."""
    from leadscore_cli.sample import write_sample

    path = tmp_path_factory.mktemp("pipe") / "leads.csv"
    write_sample(path, 30_000, seed=5)
    return str(path)


@pytest.mark.parametrize("name", list(stdout_writers("")))
def test_a_reader_that_stops_early_is_not_an_error(larger_export: str, name: str) -> None:
    """`leadscore score ... -o - | head`: the reader has all it wanted; exit 0, no message."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "leadscore_cli", *stdout_writers(larger_export)[name]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the command writes anything: its first write fails
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, stderr
    assert stderr == ""


# --- the documented JSON against what the commands print --------------------------------

DOC_KEY = re.compile(r'"([a-z_][a-z0-9_]*)"\s*:')
# `{"min", "q1", "max": float}`: keys sharing one type, each after `{` or `,`.
SHARED_TYPE_KEY = re.compile(r'(?<=[{,])\s*"([a-z_][a-z0-9_]*)"(?=\s*,)')
# Objects whose keys are data (tier names, null markers, tier moves), not a schema.
DATA_KEYED = {"null_markers", "tier_moves", "tiers"}


def documented_keys(block: str) -> set[str]:
    """Every key a schema block of the docs names, at any depth (comments left out)."""
    text = "\n".join(line.split("#")[0] for line in block.splitlines())
    return set(DOC_KEY.findall(text)) | set(SHARED_TYPE_KEY.findall(text))


def printed_keys(value: object) -> set[str]:
    """Every key of a JSON value, at any depth; an object keyed by data adds no keys."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            found.add(key)
            if not (key in DATA_KEYED and isinstance(inner, dict)):
                found |= printed_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= printed_keys(inner)
    return found


def schema_blocks(doc: Path, heading: str) -> str:
    """The ```text blocks under a heading of a doc (to the next heading of its level)."""
    text = doc.read_text(encoding="utf-8")
    level = heading.split(" ")[0]
    section = text.split(heading + "\n", 1)[1].split("\n" + level + " ", 1)[0]
    return "\n".join(re.findall(r"```text\n(.*?)```", section, flags=re.DOTALL))


def readme_summary_blocks() -> dict[str, str]:
    """The README's JSON summary blocks by command: each ```text block under `name`: ..."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    text = text.split("## JSON summaries\n", 1)[1].split("\n## ", 1)[0]
    parts = re.split(r"^`([a-z]+)`[^\n]*:\n", text, flags=re.MULTILINE)
    return {
        name: "\n".join(re.findall(r"```text\n(.*?)```", body, flags=re.DOTALL))
        for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def json_of(runner, command: str, *paths: str, options: str = "") -> set[str]:
    """The keys `leadscore COMMAND PATHS... OPTIONS --json` prints."""
    result = runner.invoke(app, [command, *paths, *options.split(), "--json"])
    assert result.stdout, result.stderr
    return printed_keys(json.loads(result.stdout))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The keys each command's --json prints, with every optional part filled in."""
    from typer.testing import CliRunner

    runner = CliRunner()
    folder = tmp_path_factory.mktemp("json")
    data, model, simple = str(SAMPLE), str(B2B_MODEL), str(ROOT / "configs" / "simple.toml")
    previous = str(folder / "previous.parquet")
    first = ["score", data, "-m", model, "-o", previous, "--as-of", "2026-10-01"]
    assert runner.invoke(app, first).exit_code == 0
    nightly = f"--as-of {AS_OF} --previous {previous}"
    return {
        "score": json_of(
            runner,
            "score",
            data,
            "-m",
            model,
            "-o",
            str(folder / "s.parquet"),
            "--handoff",
            str(folder / "s.csv"),
            options=nightly,
        ),
        "grade": json_of(
            runner,
            "grade",
            data,
            "-m",
            model,
            "-o",
            str(folder / "g.parquet"),
            "--handoff",
            str(folder / "g.csv"),
            options=f"{nightly} --outcome converted",
        ),
        "threshold": json_of(
            runner,
            "threshold",
            data,
            "-m",
            model,
            "--write",
            str(folder / "t.toml"),
            options=f"--outcome converted --as-of {AS_OF} --tiers 3 --capacity 50 "
            "--per week --date-column created_date",
        ),
        "validate": json_of(runner, "validate", "-m", model, "--data", data)
        | json_of(runner, "validate", "-m", model, "--data", "no_such.csv"),
        "profile": json_of(
            runner, "profile", data, "-m", model, options=f"--target converted --as-of {AS_OF}"
        ),
        "report": json_of(
            runner,
            "report",
            data,
            "-m",
            model,
            "--baseline",
            previous,
            "--compare-model",
            simple,
            options=f"--as-of {AS_OF} --outcome converted --created-column created_date "
            "--converted-at-column last_activity_date",
        ),
        "fit": json_of(
            runner,
            "fit",
            data,
            "-o",
            str(folder / "f.toml"),
            "--base-model",
            model,
            options=f"--outcome converted --seed 3 --as-of {AS_OF}",
        ),
    }


def doc_schema(name: str) -> str:
    headings = {
        "profile": (ROOT / "docs" / "profile.md", "## JSON schema (version 1)"),
        "report": (ROOT / "docs" / "report.md", "## JSON schema (`schema_version` 1)"),
    }
    if name in headings:
        return schema_blocks(*headings[name])
    if name == "fit":
        fit_doc = (ROOT / "docs" / "fit.md").read_text(encoding="utf-8")
        return fit_doc.split("`--json` prints one object:", 1)[1].split("```", 2)[1]
    blocks = readme_summary_blocks()
    if name == "grade":  # its handoff and changes are documented as for score
        return blocks["grade"] + blocks["score"]
    return blocks[name]


@pytest.mark.parametrize(
    "name", ["score", "grade", "threshold", "validate", "profile", "report", "fit"]
)
def test_the_documented_json_is_what_the_command_prints(printed, name: str) -> None:
    """Key by key: no field printed that the docs leave out, none documented that is gone."""
    documented = documented_keys(doc_schema(name))
    assert documented, f"no JSON schema documented for {name}"
    undocumented = printed[name] - documented
    assert not undocumented, f"{name} --json prints keys no doc names: {sorted(undocumented)}"
    if name == "grade":  # the score block adds keys grade has no reason to print
        documented = documented_keys(readme_summary_blocks()["grade"])
    gone = documented - printed[name]
    assert not gone, f"the docs name keys {name} --json does not print: {sorted(gone)}"


# --- claims the README makes in prose ---------------------------------------------------


def readme_says(phrase: str) -> bool:
    """Whether the README holds `phrase`, however its lines are wrapped."""
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    return " ".join(phrase.split()) in text


# (what the README says, the command that tries it, the exit code it gives)
EXIT_CLAIMS = [
    (
        "extension says no format (`-o out.dat`) without `--format` is a usage error (exit 2)",
        ["score", "{data}", "-m", "{model}", "-o", "out.dat"],
        EXIT_USAGE,
    ),
    (
        "so it does not go with `--split-by` (exit 2)",
        [
            "grade",
            "{data}",
            "-m",
            "{model}",
            "-o",
            "seg",
            "--split-by",
            "grade",
            "--handoff",
            "h.csv",
        ],
        EXIT_USAGE,
    ),
    (
        "It is refused only when the run writes no CSV.",
        ["score", "{data}", "-m", "{model}", "-o", "out.parquet", "--excel-safe"],
        EXIT_USAGE,
    ),
    (
        "`--write` naming either stops the run before any work (exit 6)",
        ["threshold", "{data}", "-m", "{model}", "--outcome", "converted", "--write", "{data}"],
        EXIT_OUTPUT,
    ),
    (
        "`--positive` values that match no lead, or every lead, stop the run (exit 5)",
        [
            "grade",
            "{data}",
            "-m",
            "{model}",
            "-o",
            "g.csv",
            "--outcome",
            "stage",
            "--positive",
            "Closed Wonn",
        ],
        5,
    ),
]


@pytest.mark.parametrize(
    "phrase, argv, code", EXIT_CLAIMS, ids=[" ".join(c[1][:1] + c[1][5:]) for c in EXIT_CLAIMS]
)
def test_the_readme_exit_codes_hold(run, monkeypatch, tmp_path, phrase, argv, code) -> None:
    assert readme_says(phrase), f"the README no longer says: {phrase}"
    data = tmp_path / "leads.csv"
    data.write_bytes(SAMPLE.read_bytes())
    argv = [a.format(data=data, model=B2B_MODEL) for a in argv]
    result = invoke(run, monkeypatch, tmp_path, *argv)
    assert result.exit_code == code, result.stderr
    assert len(stderr_lines(result)) == 1, result.stderr


def test_the_readme_names_every_key_of_the_manifest(run, monkeypatch, tmp_path) -> None:
    """Each field of the run record is named in the README's `--manifest` paragraph, so a
    monitor's author knows what to read."""
    argv = ["score", str(SAMPLE), "-m", str(B2B_MODEL), "-o", "out.csv", "--as-of", AS_OF]
    result = invoke(run, monkeypatch, tmp_path, *argv, "--manifest", "run.json", "-q")
    assert result.exit_code == 0, result.stderr
    record = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    keys = set(record) | {f for part in ("model", "input") for f in record[part]}
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = text.split("- `--manifest FILE` writes", 1)[1].split("\n- ", 1)[0]
    unnamed = sorted(key for key in keys if f"`{key}`" not in paragraph)
    assert not unnamed, f"the README's --manifest paragraph does not name {unnamed}"


def test_with_tiers_a_strategy_picks_the_shown_cutoff_and_write_takes_the_tiers(
    run, monkeypatch, tmp_path
) -> None:
    assert readme_says("`--write` writes the K+1 tiers")
    argv = ["threshold", str(SAMPLE), "-m", str(B2B_MODEL), "--outcome", "converted"]
    argv += ["--as-of", AS_OF, "--tiers", "3", "--capacity", "50", "--write", "new.toml"]
    result = invoke(run, monkeypatch, tmp_path, *argv, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["strategy"] == "capacity"
    assert summary["recommended"]["leads"] <= 50
    import tomllib

    written = tomllib.loads((tmp_path / "new.toml").read_text(encoding="utf-8"))["tiers"]
    assert written == {tier["name"]: tier["min_score"] for tier in summary["tiers"]}


# (doc, what it says, command, option, the option's default)
DOCUMENTED_DEFAULTS = [
    ("docs/fit.md", "(0 to 4294967295, default 0)", "fit", "--seed", 0),
    ("docs/fit.md", "| `--holdout 0.2` |", "fit", "--holdout", 0.2),
    ("docs/sql.md", "`--table` (default `leads`)", "sql", "--table", "leads"),
    ("docs/sql.md", "`--dialect` (default `duckdb`", "sql", "--dialect", "duckdb"),
    ("README.md", "`-n` rows (default 5000)", "sample", "-n", 5000),
    ("README.md", "`--seed` (default 42", "sample", "--seed", 42),
]


@pytest.mark.parametrize(
    "doc, phrase, name, option, default",
    DOCUMENTED_DEFAULTS,
    ids=[f"{d[2]} {d[3]}" for d in DOCUMENTED_DEFAULTS],
)
def test_documented_defaults_are_the_options_defaults(doc, phrase, name, option, default) -> None:
    text = " ".join((ROOT / doc).read_text(encoding="utf-8").split())
    assert phrase in text, f"{doc} no longer says {phrase}"
    param = next(p for p in COMMAND_TABLE[name].params if is_option(p) and option in p.opts)
    assert param.default == default


def test_validate_counts_values_read_as_missing_in_a_note(run, monkeypatch, tmp_path) -> None:
    """docs/model.md: under `on_invalid = "null"`, `validate --data` says how many values
    of a column it could not read, as a `note:` and in `notes`."""
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "m"\n[fields.employees]\ntype = "int"\non_invalid = "null"\n'
        '[[rules]]\nname = "big"\npoints = 5\n'
        'when = { field = "employees", op = "gte", value = 100 }\n',
        encoding="utf-8",
    )
    export = tmp_path / "leads.csv"
    export.write_text("lead_id,employees\nL1,lots\nL2,120\n", encoding="utf-8")
    assert "for `validate`, a `note:` and an entry in `notes`" in " ".join(
        (ROOT / "docs" / "model.md").read_text(encoding="utf-8").split()
    )
    argv = ["-m", str(model), "--data", str(export)]
    shown = invoke(run, monkeypatch, tmp_path, "validate", *argv)
    assert shown.exit_code == 0, shown.stderr
    assert "note: column 'employees': 1 value could not be read" in shown.stderr
    printed = json.loads(run("validate", *argv, "--json").stdout)
    assert any("'employees': 1 value" in note for note in printed["notes"])
