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


@pytest.mark.parametrize("n, reply, people", [
    (1, "1 ответ", "1 человек написал"), (2, "2 ответа", "2 человека написали"),
    (5, "5 ответов", "5 человек написали"), (11, "11 ответов", "11 человек написали"),
    (21, "21 ответ", "21 человек написал"), (22, "22 ответа", "22 человека написали"),
    (25, "25 ответов", "25 человек написали"), (111, "111 ответов", "111 человек написали"),
    (112, "112 ответов", "112 человек написали"), (1001, "1001 ответ", "1001 человек написал"),
])
def test_russian_plural_forms_at_the_hard_numbers(n: int, reply: str, people: str) -> None:
    ru = catalog("ru")
    assert ru.ngettext("%(n)s reply", "%(n)s replies", n) % {"n": n} == reply
    for langs in (2, 21, 25):  # the language count is not inflected: right for any number
        said = ru.ngettext("%(n)s person wrote to stand by you, in %(langs)s languages.",
                           "%(n)s people wrote to stand by you, in %(langs)s languages.",
                           n) % {"n": n, "langs": langs}
        assert said.startswith(people + " вам слова поддержки"), said
        assert f"(их {langs})" in said


def test_chart_labels_are_written_in_the_interface_language() -> None:
    from pileon.web.chart import timeline_svg
    hours = [("2026-12-07T10", "support", 3), ("2026-12-08T09", "shielded", 2)]
    wanted = {"en": "7 Dec", "fr": "7 déc.", "ru": "7 дек.", "hy": "7 դեկ", "az": "7 dek"}
    for lang, label in wanted.items():
        svg = str(timeline_svg(hours, ["support", "shielded"], str, "t", lang=lang))
        assert label in svg and "10:00" in svg, (lang, svg[-300:])
        assert ("Dec" in svg) == (lang == "en")


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
