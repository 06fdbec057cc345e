"""Five interface languages: every UI string is translated, placeholders intact, plurals right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import pileon.web
from pileon.web.i18n import LANGUAGES, catalog, negotiate

WEB = Path(pileon.web.__file__).parent


def ui_messages() -> list[str | tuple[str, str]]:
    found = extract_from_dir(
        str(WEB), [("**/templates/**.html", "jinja2"), ("**.py", "python")],
        options_map={"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"_": None, "gettext": None, "ngettext": (1, 2)})
    return [message for _file, _line, message, _comments, _context in found]


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_every_ui_string_is_translated_with_its_placeholders(lang: str) -> None:
    with (WEB / "locales" / f"{lang}.po").open("rb") as handle:
        po = read_po(handle, locale=lang)
    messages = ui_messages()
    assert len(messages) > 100
    for message in messages:
        key = message[0] if isinstance(message, tuple) else message
        entry = po.get(key)
        assert entry is not None and not entry.fuzzy, (lang, key)
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert all(translations), (lang, key)
        wanted = set(re.findall(r"%\(\w+\)s", key))
        for text in translations:
            assert set(re.findall(r"%\(\w+\)s", text)) == wanted, (lang, key, text)


def test_russian_plurals_follow_russian_grammar() -> None:
    ru = catalog("ru")
    forms = {n: ru.ngettext("%(n)s reply", "%(n)s replies", n) % {"n": n} for n in (1, 3, 5, 21, 11)}
    assert forms == {1: "1 ответ", 3: "3 ответа", 5: "5 ответов", 21: "21 ответ", 11: "11 ответов"}


def test_translations_use_each_languages_own_letters() -> None:
    assert "ə" in catalog("az").gettext("What people said to you")
    assert re.search("[\u0531-\u058f]", catalog("hy").gettext("Settings"))
    assert re.search("[а-я]", catalog("ru").gettext("Settings"))
    assert catalog("fr").gettext("Settings") == "Réglages"


@pytest.mark.parametrize("header, expected", [
    ("fr-CA,fr;q=0.9,en;q=0.5", "fr"), ("hy-AM", "hy"), ("tr,az;q=0.8", "az"),
    ("de,ru;q=0.4,en;q=0.3", "ru"), ("", "en"), ("zz;q=bad", "en"),
])
def test_the_default_language_follows_the_browser(header: str, expected: str) -> None:
    assert negotiate(header) == expected
