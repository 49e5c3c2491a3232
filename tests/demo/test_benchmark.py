"""demo.benchmark and demo.benchmark_report: the synthetic data and the report (the timed run
itself is the `benchmark --quick` smoke of .ci/run)."""

import random

from demo.benchmark import national_file, synthetic_counts
from demo.benchmark_report import Result, results_table
from metrics.importers import parse_upload
from metrics.models import ACTIVE_TOTAL_PAIRS, COUNT_FIELDS


def test_synthetic_counts_never_exceed_their_totals():
    rng = random.Random(1)
    for kind in ("school", "preschool", "authority_regional", "authority_municipal"):
        for progress in (0.0, 0.5, 1.0):
            counts = dict(zip(COUNT_FIELDS, synthetic_counts(rng, kind, progress), strict=True))
            for active, total in ACTIVE_TOTAL_PAIRS:
                assert 0 <= counts[active] <= counts[total]


def test_national_file_is_a_file_the_importer_reads_without_errors():
    organisations = [(1, "B620000001", 10, "school"), (2, "B630000002", 11, "authority_municipal")]

    content = national_file(organisations, seed=3, regions={10: "62", 11: "63"})

    parsed = parse_upload(content, filename="national.csv", max_bytes=len(content))
    assert parsed.errors == []
    assert parsed.has_region_column
    assert [(row.org_id, row.region_code) for row in parsed.rows] == [("B620000001", "62"), ("B630000002", "63")]


def test_results_table_gives_the_median_of_each_figure_in_its_unit():
    table = results_table(
        [
            Result("Import", runs=[2.0, 1.0, 3.0]),
            Result("Page", runs=[0.0122, 0.0138]),
            Result("  rows per second", unit="rows/s", runs=[45000.0]),
            Result("  peak memory", unit="MB", runs=[120.0], note="child process"),
        ]
    )

    assert table.splitlines() == [
        "| measure | median | runs | note |",
        "| --- | ---: | --- | --- |",
        "| Import | 2.00 s | 2.000, 1.000, 3.000 |  |",
        "| Page | 13.0 ms | 0.012, 0.014 |  |",
        "|   rows per second | 45 000 rows/s | 45 000 |  |",
        "|   peak memory | 120.0 MB | 120.0 | child process |",
    ]
