"""Shared fixtures: the shipped sample, the example models, and a CLI runner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner, Result

from leadscore_cli.cli.app import app

# Property tests draw the same examples on every run and keep no example database, so a
# run on a developer's machine and on CI test exactly the same cases.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.load_profile("reproducible")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "leads.csv"
B2B_MODEL = ROOT / "configs" / "b2b_saas.toml"
SIMPLE_MODEL = ROOT / "configs" / "simple.toml"
EXAMPLE_MODELS = sorted((ROOT / "configs").glob("*.toml"))
AS_OF = "2026-11-01"


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke the CLI in-process; stdout and stderr are kept apart."""
    runner = CliRunner()

    def invoke(*args: object, input: bytes | str | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


def parse_json(text: str) -> dict:
    return json.loads(text)
