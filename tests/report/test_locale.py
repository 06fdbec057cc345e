"""The report's five languages: same keys everywhere, every placeholder kept, every page renders."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from pileon.cli import main
from pileon.records import LABELS
from pileon.report.locale import REPORT_LANGUAGES, load_catalog

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def raw(lang: str) -> dict:
    text = (resources.files("pileon.report") / "locales" / f"{lang}.toml").read_text("utf-8")
    return tomllib.loads(text)


def keys(tree: dict, prefix: str = "") -> set[str]:
    found = set()
    for key, value in tree.items():
        found |= keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return found


@pytest.mark.parametrize("lang", sorted(set(REPORT_LANGUAGES) - {"en"}))
def test_catalog_has_every_english_key_and_placeholder(lang: str) -> None:
    english, other = raw("en"), raw(lang)
    assert keys(other) == keys(english)
    for key, text in english["strings"].items():
        assert set(_PLACEHOLDER.findall(other["strings"][key])) == set(
            _PLACEHOLDER.findall(text)), f"{lang}: {key}"
        assert other["strings"][key].strip(), f"{lang}: {key} is empty"
    assert set(other["categories"]) == set(LABELS)


def test_catalog_names_categories_in_its_own_script() -> None:
    assert load_catalog("hy").category("threat") == "Սպառնալիք"
    assert load_catalog("ru").category("threat") == "Угроза"
    assert "ə" in load_catalog("az")("cw_text")
    assert load_catalog("fr").name("languages", "hy") == "arménien"


@pytest.mark.parametrize("lang", sorted(REPORT_LANGUAGES))
def test_every_language_renders_a_report_whose_posts_stay_as_written(
        lang: str, report_db: Path, tmp_path: Path) -> None:
    out = tmp_path / lang
    result = CliRunner().invoke(main, ["report", str(report_db), "--out", str(out),
                                       "--lang", lang])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    catalog = load_catalog(lang)
    assert f'<html lang="{lang}">' in html
    assert catalog("cw_title") in html and catalog("title") in html
    assert "Դու դավաճան ես, ամոթ քեզ" in html  # posts are never translated
    assert catalog.name("languages", "hy") in html  # the post's language is named
