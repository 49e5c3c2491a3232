"""demo.registry: the names of the demo organisations."""

import pytest

from demo.registry import region_genitive


@pytest.mark.parametrize(
    ("name", "genitive"),
    [
        ("Самарская область", "Самарской области"),
        ("Республика Татарстан", "Республики Татарстан"),
        ("Удмуртская Республика", "Удмуртской Республики"),
        ("Алтайский край", "Алтайского края"),
        ("Ненецкий автономный округ", "Ненецкого автономного округа"),
        ("Еврейская автономная область", "Еврейской автономной области"),
    ],
)
def test_region_genitive_names_the_ministry_of_a_region(name, genitive):
    assert region_genitive(name) == genitive
