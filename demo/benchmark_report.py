"""The benchmark's report: measured figures, the Markdown table of their medians, the machine."""

import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection


@dataclass
class Result:
    """One measured figure: its runs in seconds (or the value), and a note."""

    name: str
    runs: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")


def results_table(results: list[Result]) -> str:
    """A Markdown table of the medians."""
    lines = ["| measure | median | runs | note |", "| --- | ---: | --- | --- |"]
    for r in results:
        if r.unit == "s":
            value = f"{r.median * 1000:.1f} ms" if r.median < 1 else f"{r.median:.2f} s"
            runs = ", ".join(f"{x:.3f}" for x in r.runs)
        elif r.unit == "rows/s":
            value = f"{r.median:,.0f} rows/s".replace(",", " ")
            runs = ", ".join(f"{x:,.0f}".replace(",", " ") for x in r.runs)
        else:
            value = f"{r.median:.1f} {r.unit}"
            runs = ", ".join(f"{x:.1f}" for x in r.runs)
        lines.append(f"| {r.name} | {value} | {runs} | {r.note} |")
    return "\n".join(lines)


def machine_description() -> str:
    """One line on where the figures were measured: cores, CPU, RAM, PostgreSQL and Python."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"Machine: {os.cpu_count()} cores ({cpu}){memory}; PostgreSQL {pg}; Python {platform.python_version()}"
