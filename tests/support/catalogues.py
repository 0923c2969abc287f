"""
The message catalogues, compiled for the suite as `make test` compiles them,
and read for the tests that check they are whole.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
DOMAINS = ("django", "djangojs")

# Words a language shares with English; anything else the same as on the
# English page was left untranslated.
SAME_AS_ENGLISH = {
    "de": {"Text", "Link", "Passphrase"},
    "fr": {"5 minutes"},
    "es": set(),
    "ar": set(),
}


def catalogue_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "locale").glob("*/LC_MESSAGES/*.po"))


def compile_stale() -> None:
    """msgfmt every catalogue whose .mo is missing or older than its .po (what compilemessages does)."""
    for po in catalogue_files():
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)


ENTRY = re.compile(r'^(msgctxt|msgid|msgid_plural) ((?:".*"\n?)+)', re.M)


def msgids(po: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every entry but the header."""
    found, context = set(), None
    for keyword, quoted in ENTRY.findall(po.read_text(encoding="utf-8")):
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', quoted))
        if keyword == "msgctxt":
            context = text
        elif keyword == "msgid":
            if text:
                found.add((context, text))
            context = None
    return found
