"""Names as people read them: without the invisible characters that reorder text on screen.

Bidirectional formatting characters (Unicode TR9) — embeddings and overrides U+202A–U+202E,
isolates U+2066–U+2069, the marks U+200E/U+200F and the Arabic letter mark U+061C — have no
place in the Russian name of a region, municipality or organisation; in one they only make it
display as something else ("СОШ №1\u202eтесТ" shows reversed). Pure: imported by the file
importer, the models' clean() and the pages' template filter.
"""

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def without_bidi_controls(text: str) -> str:
    """The text without bidirectional formatting characters (the same object when it has none)."""
    return _BIDI.sub("", text) if _BIDI.search(text) else text
