"""Names without bidirectional formatting characters (regions/names.py)."""

import pytest

from regions.names import BIDI_CONTROLS, without_bidi_controls


@pytest.mark.parametrize("control", list(BIDI_CONTROLS))
def test_every_bidi_control_is_removed(control):
    assert without_bidi_controls(f"СОШ {control}№ 1{control}") == "СОШ № 1"


def test_the_listed_controls_are_the_ones_of_unicode_tr9():
    expected = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
    assert {ord(c) for c in BIDI_CONTROLS} == expected


def test_other_text_is_kept_as_it_is():
    text = "Школа «Ёлочка» — №\u00a05, مدرسة, 👩\u200d🏫, x\u200by"  # NBSP, Arabic, ZWJ, ZWSP stay
    assert without_bidi_controls(text) is text
