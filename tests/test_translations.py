"""The Simplified Chinese catalogue is complete: every translatable string in the code and
templates has a Chinese translation that is neither empty nor fuzzy.

The test extracts the strings afresh (makemessages on a copy of the tree), so a string added
without its translation fails here, not in front of a user.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["accounts", "audit", "demo", "documents", "signing", "workflows", "project", "templates"]


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr list, flags (obsolete ones skipped)."""
    entries, entry, key = [], None, None

    def flush():
        if entry is not None and not entry.get("obsolete"):
            entries.append(entry)

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            entry, key = None, None
            continue
        starts_entry = line.startswith(("#", "msgctxt ", "msgid "))
        if entry is not None and entry["msgstr"] and starts_entry:
            # gettext may omit the blank line between entries (after the header, say).
            flush()
            entry, key = None, None
        if entry is None:
            entry = {"flags": set(), "msgid": "", "msgid_plural": None, "msgstr": {}}
        if line.startswith("#~"):
            entry["obsolete"] = True
        elif line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgctxt "):
            key = ("msgctxt", None)
            entry["msgctxt"] = ast.literal_eval(line[8:])
        elif line.startswith("msgid_plural "):
            key = ("msgid_plural", None)
            entry["msgid_plural"] = ast.literal_eval(line[13:])
        elif line.startswith("msgid "):
            key = ("msgid", None)
            entry["msgid"] = ast.literal_eval(line[6:])
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            key = ("msgstr", index)
            entry["msgstr"][index] = ast.literal_eval(line[line.index("]") + 2 :])
        elif line.startswith("msgstr "):
            key = ("msgstr", 0)
            entry["msgstr"][0] = ast.literal_eval(line[7:])
        elif line.startswith('"') and key is not None:
            name, index = key
            if name == "msgstr":
                entry["msgstr"][index] += ast.literal_eval(line)
            else:
                entry[name] += ast.literal_eval(line)
    flush()
    return [e for e in entries if e["msgid"]]  # the header has an empty msgid


@pytest.fixture(scope="module")
def extracted_catalogue(tmp_path_factory) -> list[dict]:
    if shutil.which("msguniq") is None:
        pytest.skip("GNU gettext is not installed (make test installs it)")
    tree = tmp_path_factory.mktemp("tree")
    for name in [*SOURCES, "locale"]:
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tree / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tree,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "DEBUG": "1", "PYTHONPATH": str(tree)},
    )
    return parse_po((tree / "locale/zh_Hans/LC_MESSAGES/django.po").read_text("utf-8"))


def test_the_catalogue_has_strings(extracted_catalogue):
    assert len(extracted_catalogue) > 100


def test_every_string_has_a_chinese_translation(extracted_catalogue):
    missing = [e["msgid"] for e in extracted_catalogue if not all(e["msgstr"].values())]
    assert missing == []


def test_no_translation_is_fuzzy(extracted_catalogue):
    fuzzy = [e["msgid"] for e in extracted_catalogue if "fuzzy" in e["flags"]]
    assert fuzzy == []


def test_the_parser_sees_untranslated_and_fuzzy_entries():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        'msgid "Inbox"\nmsgstr "收件箱"\n\n'
        'msgid "Claim"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "Hello %(name)s"\nmsgstr "你好 %(name)s"\n'
        '#~ msgid "Old"\n#~ msgstr ""\n'
    )
    entries = {e["msgid"]: e for e in parse_po(sample)}
    assert set(entries) == {"Inbox", "Claim", "Hello %(name)s"}
    assert entries["Claim"]["msgstr"] == {0: ""}
    assert "fuzzy" in entries["Hello %(name)s"]["flags"]


def test_the_language_switchers_change_does_not_rename_djangos_change():
    from django.utils import translation

    with translation.override("zh-hans"):
        assert translation.pgettext("language switcher", "Change") == "切换"
        assert translation.gettext("Change") == "修改"
