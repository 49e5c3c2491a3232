"""The demo app's management commands keep the names and options the Makefile, .ci/run and the
docs use; the benchmark never touches the product's own database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

BENCH_URL = "postgres://postgres@127.0.0.1:5432/sferum_bench_ci"


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("seed_demo", ["--scale", "0.5", "--seed", "7", "--until", "2025-12-01", "--if-empty"]),
        (
            "benchmark",
            [
                "--quick",
                "--database-url",
                BENCH_URL,
                "--orgs",
                "1",
                "--weeks",
                "1",
                "--repeat",
                "1",
                "--output",
                "b.md",
                "--keep",
            ],
        ),
    ],
)
def test_command_lives_in_the_demo_app_with_its_options(name, argv):
    assert get_commands()[name] == "demo"
    parser = load_command_class("demo", name).create_parser("manage.py", name)
    parser.parse_args(argv)  # raises CommandError on an unknown option


def test_benchmark_refuses_the_products_own_database(monkeypatch, settings):
    monkeypatch.setitem(settings.DATABASES["default"], "NAME", "sferum")

    with pytest.raises(CommandError, match="must not be the product's own"):
        call_command("benchmark", "--database-url", "postgres://postgres@127.0.0.1:5432/sferum", stdout=StringIO())
