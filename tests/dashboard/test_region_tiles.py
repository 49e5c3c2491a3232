"""The tile map's layout file (dashboard/data/region_tiles.json) against the registry of the 89
subjects: every code once, one square each, short labels, roughly where each region lies."""

from collections import defaultdict

import pytest

from dashboard.charts import region_tiles
from regions.models import Region

# Real neighbours that the layout should keep side by side (or corner to corner).
NEIGHBOURS = [
    ("77", "50"),  # Москва — Московская область
    ("78", "47"),  # Санкт-Петербург — Ленинградская область
    ("91", "92"),  # Крым — Севастополь
    ("50", "62"),  # Московская — Рязанская
    ("63", "16"),  # Самарская — Татарстан
    ("05", "20"),  # Дагестан — Чечня
    ("06", "15"),  # Ингушетия — Северная Осетия
    ("93", "94"),  # ДНР — ЛНР
    ("27", "25"),  # Хабаровский — Приморский
    ("49", "87"),  # Магаданская — Чукотка
]


@pytest.fixture(scope="module")
def tiles():
    return region_tiles()["tiles"]


def adjacent(a, b) -> bool:
    return max(abs(a["col"] - b["col"]), abs(a["row"] - b["row"])) == 1


@pytest.mark.django_db
def test_layout_holds_exactly_the_89_subjects_of_the_registry_with_their_names(tiles):
    registry = dict(Region.objects.values_list("code", "name"))
    assert len(registry) == 89
    assert set(tiles) == set(registry)
    assert {code: tile["name"] for code, tile in tiles.items()} == registry


def test_no_two_regions_share_a_square_and_every_square_is_on_the_grid(tiles):
    grid = region_tiles()
    squares = [(tile["col"], tile["row"]) for tile in tiles.values()]
    assert len(set(squares)) == len(squares) == 89
    assert all(0 <= col < grid["columns"] and 0 <= row < grid["rows"] for col, row in squares)


def test_every_label_is_short_unique_and_not_empty(tiles):
    labels = [tile["label"] for tile in tiles.values()]
    assert all(label.strip() and 2 <= len(label) <= 5 for label in labels), labels
    assert len(set(labels)) == 89


def test_layout_runs_west_to_east_and_north_to_south(tiles):
    cols = [tile["col"] for tile in tiles.values()]
    assert tiles["39"]["col"] == min(cols)  # Калининград: far west
    assert tiles["87"]["col"] >= max(cols) - 1 and tiles["87"]["row"] == 0  # Чукотка: far north-east
    assert tiles["41"]["col"] >= max(cols) - 1  # Камчатка and Сахалин in the east
    assert tiles["65"]["col"] >= max(cols) - 1
    assert tiles["51"]["row"] < tiles["77"]["row"] < tiles["61"]["row"] < tiles["05"]["row"]  # Мурманск … Дагестан
    assert tiles["77"]["col"] < tiles["16"]["col"] < tiles["72"]["col"] < tiles["54"]["col"] < tiles["25"]["col"]
    caucasus = ("05", "06", "07", "09", "15", "20")
    assert min(tiles[code]["row"] for code in caucasus) >= max(tile["row"] for tile in tiles.values()) - 1
    new_regions = ("90", "91", "92", "93", "94", "95")
    assert max(tiles[code]["col"] for code in new_regions) < tiles["77"]["col"] + 1  # south-west


@pytest.mark.parametrize(("a", "b"), NEIGHBOURS)
def test_close_neighbours_touch(tiles, a, b):
    assert adjacent(tiles[a], tiles[b])


@pytest.mark.django_db
def test_every_region_touches_another_of_its_federal_district(tiles):
    district_of = dict(Region.objects.values_list("code", "federal_district__code"))
    by_district = defaultdict(list)
    for code, tile in tiles.items():
        by_district[district_of[code]].append(tile)
    lonely = [
        code
        for code, tile in tiles.items()
        if not any(adjacent(tile, other) for other in by_district[district_of[code]] if other is not tile)
    ]
    assert lonely == []  # Калининград, an exclave, touches Псков corner to corner
