"""How people actually type: Azerbaijani without diacritics or in Cyrillic, Russian and
Armenian in Latin letters, Turkish without its special letters.

Templates are written once in proper spelling; these functions produce the other spellings.
"""

from __future__ import annotations

__all__ = ["SCRIPTS_BY_LANG", "write_in"]

_AZ_PLAIN = str.maketrans("əƏşŞçÇğĞıİöÖüÜ", "eEsScCgGiIoOuU")
_TR_PLAIN = str.maketrans("şŞçÇğĞıİöÖüÜâÂ", "sScCgGiIoOuUaA")

_AZ_CYRILLIC = {
    "a": "а", "b": "б", "c": "ҹ", "ç": "ч", "d": "д", "e": "е", "ə": "ә", "f": "ф", "g": "ҝ",
    "ğ": "ғ", "h": "һ", "x": "х", "ı": "ы", "i": "и", "j": "ж", "k": "к", "q": "г", "l": "л",
    "m": "м", "n": "н", "o": "о", "ö": "ө", "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т",
    "u": "у", "ü": "ү", "v": "в", "y": "ј", "z": "з", "w": "в",
}
_AZ_CYRILLIC_UPPER = {"I": "Ы", "İ": "И"}

_RU_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}

_HY_LATIN = {
    "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y", "թ": "t",
    "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h", "ձ": "dz",
    "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o", "չ": "ch",
    "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r", "ց": "ts",
    "ւ": "v", "փ": "p", "ք": "k", "օ": "o", "ֆ": "f", "և": "ev", "՞": "?", "՛": "!", "։": ".",
    "՝": ",",
}

#: The spellings each language is written in; the first is the template's own.
SCRIPTS_BY_LANG: dict[str, tuple[str, ...]] = {
    "az": ("latin", "latin_plain", "cyrillic"),
    "tr": ("latin", "latin_plain"),
    "ru": ("cyrillic", "latin_translit"),
    "hy": ("armenian", "latin_translit"),
    "en": ("latin",),
    "fr": ("latin",),
}


def _map_chars(text: str, table: dict[str, str], upper: dict[str, str] | None = None) -> str:
    out = []
    for char in text:
        if upper and char in upper:
            out.append(upper[char])
            continue
        low = char.lower()
        mapped = table.get(low)
        if mapped is None:
            out.append(char)
        elif char != low:
            out.append(mapped[:1].upper() + mapped[1:])
        else:
            out.append(mapped)
    return "".join(out)


def _armenian_to_latin(text: str) -> str:
    # "ու" is one vowel (u); handle it before the letter-by-letter pass.
    return _map_chars(text.replace("ու", "u").replace("Ու", "U").replace("ՈՒ", "U"), _HY_LATIN)


def write_in(text: str, lang: str, script: str) -> str:
    """`text` (proper spelling of `lang`) as someone writing in `script` would type it."""
    if script == SCRIPTS_BY_LANG.get(lang, ("latin",))[0]:
        return text
    if lang == "az" and script == "latin_plain":
        return text.translate(_AZ_PLAIN)
    if lang == "az" and script == "cyrillic":
        return _map_chars(text, _AZ_CYRILLIC, _AZ_CYRILLIC_UPPER)
    if lang == "tr" and script == "latin_plain":
        return text.translate(_TR_PLAIN)
    if lang == "ru" and script == "latin_translit":
        return _map_chars(text, _RU_LATIN)
    if lang == "hy" and script == "latin_translit":
        return _armenian_to_latin(text)
    raise ValueError(f"no spelling {script!r} for language {lang!r}")
