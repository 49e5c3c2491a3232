"""Translation catalogues without GNU gettext: read a ``.po`` file, write its ``.mo``.

``compilemessages`` needs ``msgfmt`` (Debian's ``gettext`` package), which a fresh machine or the
slim Docker image may lack. The ``.mo`` of each catalogue is committed, compiled by this module
(the logic of CPython's ``Tools/i18n/msgfmt.py``); a test checks that it matches its ``.po``.
Fuzzy entries are left out, as ``msgfmt`` leaves them out.
"""

import ast
import struct
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    """One message of a ``.po`` file: its context, singular, plural and translations."""

    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False
    obsolete: bool = False

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def po_entries(text: str) -> list[Entry]:
    """Every entry of a ``.po`` file's text, the header (empty msgid) first."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    key: tuple[str, int] | None = None

    def finish():
        nonlocal current, flags
        if current is not None:
            current.fuzzy = "fuzzy" in flags
            entries.append(current)
        current, flags = None, set()

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#,"):
            if current is not None and current.msgstr:
                finish()
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if key is None or current is None:
                raise ValueError(f"a string continues nothing: {raw!r}")
            _append(current, key, ast.literal_eval(line))
            continue
        word, _, rest = line.partition(" ")
        value = ast.literal_eval(rest.strip())
        if word in ("msgctxt", "msgid") and current is not None and (current.msgstr or word == "msgctxt"):
            finish()
        if word == "msgctxt":
            current = Entry(msgid="", msgctxt=value, obsolete=obsolete)
            key = ("msgctxt", 0)
        elif word == "msgid":
            if current is None:
                current = Entry(msgid=value, obsolete=obsolete)
            else:
                current.msgid = value
            key = ("msgid", 0)
        elif word == "msgid_plural":
            current.msgid_plural = value
            key = ("msgid_plural", 0)
        elif word.startswith("msgstr"):
            index = int(word[7:-1]) if word.startswith("msgstr[") else 0
            current.msgstr[index] = value
            key = ("msgstr", index)
        else:
            raise ValueError(f"unknown line in a .po file: {raw!r}")
    finish()
    return entries


def _append(entry: Entry, key: tuple[str, int], text: str) -> None:
    name, index = key
    if name == "msgstr":
        entry.msgstr[index] += text
    else:
        setattr(entry, name, getattr(entry, name) + text)


def mo_bytes(entries: list[Entry]) -> bytes:
    """The GNU ``.mo`` file of these entries (fuzzy and obsolete ones left out, the header kept)."""
    messages: dict[bytes, bytes] = {}
    for entry in entries:
        if entry.obsolete or (entry.fuzzy and entry.msgid) or not entry.translated:
            continue
        key = entry.msgid
        if entry.msgid_plural is not None:
            key += "\0" + entry.msgid_plural
            value = "\0".join(entry.msgstr[i] for i in sorted(entry.msgstr))
        else:
            value = entry.msgstr[0]
        if entry.msgctxt is not None:
            key = entry.msgctxt + "\x04" + key
        messages[key.encode()] = value.encode()
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for key in keys:
        offsets.append((len(ids), len(key), len(strs), len(messages[key])))
        ids += key + b"\0"
        strs += messages[key] + b"\0"
    count = len(keys)
    keystart = 7 * 4 + 16 * count
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for key_offset, key_length, value_offset, value_length in offsets:
        koffsets += [key_length, key_offset + keystart]
        voffsets += [value_length, value_offset + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, count, 7 * 4, 7 * 4 + count * 8, 0, 0)
    tables = struct.pack(f"{len(koffsets)}i", *koffsets) + struct.pack(f"{len(voffsets)}i", *voffsets)
    return header + tables + ids + strs


def compile_catalogue(po_path: Path) -> Path:
    """Write the ``.mo`` next to a ``.po`` file; returns its path."""
    mo_path = po_path.with_suffix(".mo")
    mo_path.write_bytes(mo_bytes(po_entries(po_path.read_text(encoding="utf-8"))))
    return mo_path


def main() -> None:
    """``python -m sferum_migration.catalogue``: compile every ``locale/*/LC_MESSAGES/*.po``."""
    root = Path(__file__).resolve().parent.parent / "locale"
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        print(compile_catalogue(po_path))


if __name__ == "__main__":
    main()
