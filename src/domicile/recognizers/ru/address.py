"""Postal addresses: Russian/Ukrainian/Kazakh (Cyrillic), German and US.

An address is PD (152-FZ art. 3 item 1). There is no single pattern for an
address, so the recognizer adds up weighted features (settlement, street,
house, flat, postal index, state + ZIP...) and reports a span covering them
when at least two different features are present. ``validate`` is True when
the features add up to 0.6 or more.
"""

from __future__ import annotations

import re

from domicile.recognizers.base import Example, Pattern, Recognizer, RecognizerResult, digit_runs

_CY_UP = "А-ЯЁІЇЄҐ"
_B = r"(?<![\w.])"  # start of a word, not after a dot
_DE_SUFFIX = (
    r"(?i:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|graben|"
    r"kamp|stieg|hof|berg|tor|park|promenade|zeile|wall)"
)
_US_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq|"
    r"Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Trl|Route|Rte|Alley|Crossing|Plaza|Loop|Pike|"
    r"Run|Path|Park|Village|Heights|Hills|Gardens|Estates|Mill|Mills|Ridge|Point|Port|Station|Island|"
    r"Islands|Junction|Junctions|Manor|Meadow|Meadows|Valley|Harbor|Crescent|Grove|Forge|Locks|Lock|"
    r"Gateway|Underpass|Overpass|Burg|Burgs|Views?|Vista|Walk|Wells|Springs?|Shores?|Creek|Fork|Fords?|"
    r"Green|Glen|Knoll|Lake|Lakes|Landing|Light|Lights|Oval|Pass|Pines|Plains|Prairie|Radial|Ramp|"
    r"Rapids|Rest|Row|Spur|Stream|Summit|Throughway|Trace|Track|Trafficway|Tunnel|Turnpike|Union|"
    r"Unions|Ville|Well|Camp|Canyon|Cape|Causeway|Center|Centers|Cliff|Cliffs|Club|Common|Corner|"
    r"Corners|Course|Courts|Cove|Coves|Crest|Curve|Dale|Dam|Divide|Estate|Expressway|Extension|Falls|"
    r"Ferry|Field|Fields|Flat|Flats|Forest|Freeway|Haven|Hill|Hollow|Inlet|Isle|Key|Keys|Knolls|Lodge|"
    r"Mall|Mews|Mission|Motorway|Mount|Mountain|Neck|Orchard|Parks|Ports|Ranch|Roads|Shoal|Shoals|"
    r"Skyway|Squares|Stravenue|Streets|Branch|Bridge|Brook|Brooks|Bypass|Bluff|Bluffs|Bottom|Bend|"
    r"Beach|Arcade|Expy|Fwy|Fort|Via|Viaduct|Loaf|Wall|Rue|Garden|Harbour|Ways|Rapid|Fall|Crossroad|Passage|Pine|River|Plain|Pointe|Ville)s?"
)

#: Address features: (name, regex, weight). Cyrillic markers are abbreviations.
FEATURES: tuple[Pattern, ...] = (
    Pattern(
        "ru_settlement",
        rf"{_B}(?:г|гор|п|пос|пгт|рп|с|д|дер|ст|х|к|клх|аул|село|смт|м)\. ?[{_CY_UP}]|{_B}клх [{_CY_UP}]",
        0.2,
    ),
    Pattern(
        "ru_street",
        rf"{_B}(?:ул|пр|просп|пр-т|пер|ш|бул|наб|пл|мкр|алл|туп|проезд|вул|пров|бульв)\.? ?[{_CY_UP}0-9]"
        rf"|{_B}(?:улица|проспект|переулок|шоссе|бульвар|набережная|площадь|вулиця|провулок|площа|"
        rf"набережна|шосе|узвіз|сквер|проїзд|тупик|алея|парк|микрорайон) [{_CY_UP}0-9]",
        0.35,
    ),
    Pattern("ru_house", r"(?<![\w.])(?:д|дом|буд|корп|стр)\.? ?\d+[а-яА-Я]?(?:/\d+)?", 0.3),
    Pattern("ru_flat", r"(?<![\w.])(?:кв|оф|к)\.? ?\d+", 0.15),
    Pattern("ru_region", r"(?<![\w.])(?:обл|р-н|край|респ|область|район)\.?(?![\w])", 0.15),
    Pattern("cyr_city_index_5", rf"[{_CY_UP}][^\d,]+, \d{{5}}(?![\d\-.])", 0.15),
    Pattern("index_6", r"(?<![\d\-.])\d{6}(?![\d\-.])", 0.15),
    Pattern("de_street", rf"[A-ZÄÖÜ][\wäöüß\-]*{_DE_SUFFIX}\s+\d+[a-z]?(?:[-/]\d+)?", 0.45),
    Pattern("de_plz_city", r"(?<!\d)\d{5} [A-ZÄÖÜ][a-zäöüß]+", 0.35),
    Pattern("us_street", rf"(?<![\w-])\d{{1,6}} (?:[A-Z][a-z]+ ){{1,3}}{_US_SUFFIX}\b\.?", 0.5),
    Pattern("us_unit", r"\b(?:Apt\.|Suite|Unit|Box|PSC|FPO|APO|DPO|USNS|USS|USNV|USCGC) ?\w+", 0.15),
    Pattern("us_military", r"\b(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}(?!\d)", 0.3),
    Pattern("us_state_zip", r"\b[A-Z]{2} \d{5}(?:-\d{4})?(?!\d)", 0.35),
)
_MIN_SCORE = 0.6
_HAS_CYR = re.compile(r"[а-яА-ЯёЁіїєґІЇЄҐ]")
_HAS_LAT = re.compile(r"[A-ZÄÖÜ]")
#: What a feature needs to match at all: Cyrillic letters / an ASCII capital ("" = either), and
#: digits: None (none), 0 (some) or n (a run of exactly n, the pattern's digit group being bounded).
_FEATURE_NEEDS: dict[str, tuple[str, int | None]] = {
    "ru_settlement": ("cyr", None), "ru_street": ("cyr", None), "ru_house": ("cyr", 0),
    "ru_flat": ("cyr", 0), "ru_region": ("cyr", None), "cyr_city_index_5": ("cyr", 5),
    "index_6": ("", 6), "de_street": ("lat", 0), "de_plz_city": ("lat", 5), "us_street": ("lat", 0),
    "us_unit": ("lat", None), "us_military": ("lat", 5), "us_state_zip": ("lat", 5),
}  # fmt: skip
#: A part of some features that every match contains and that Python's ``re`` finds fast (it
#: starts with a character, not a look-behind): when it is absent, the feature is skipped.
_FEATURE_CORE: dict[str, str] = {
    "ru_settlement": next(p.regex for p in FEATURES if p.name == "ru_settlement").replace(_B, ""),
    "ru_house": r"(?:д|дом|буд|корп|стр)\.? ?\d",
    "ru_flat": r"(?:кв|оф|к)\.? ?\d",
    "ru_region": r"(?:обл|р-н|край|респ|область|район)",
    "index_6": r"\d{6}",
    "de_plz_city": r"\d{5} [A-ZÄÖÜ]",
}


class PostalAddressRecognizer(Recognizer):
    """Postal addresses, from weighted address features."""

    NAME = "postal_address"
    COUNTRY_CODE = "RU"
    CATEGORY = "postal_address"
    PATTERNS = FEATURES
    CONTEXT = (
        "address", "addr", "адрес", "street", "улиц", "прожива", "регистрац", "shipping", "billing",
        "delivery address", "доставк", "anschrift", "postal", "почтов", "живу",
    )  # fmt: skip
    CHECKSUM_BONUS = 0.0
    MAY_MATCH_MONOTONE = True

    def __init__(self) -> None:
        """Build the recognizer."""
        super().__init__()
        self._needs_of = tuple(_FEATURE_NEEDS.get(p.name, ("", None)) for p in self.PATTERNS)
        self._cores = tuple(
            re.compile(_FEATURE_CORE[p.name]).search if p.name in _FEATURE_CORE else None
            for p in self.PATTERNS
        )

    def may_match(self, value: str, digits: int) -> bool:
        """Two features never fit in one word, and every feature has a letter."""
        return " " in value and value.lower() != value.upper()

    def validate(self, candidate: str) -> bool | None:
        """True if the candidate's features add up to at least 0.6."""
        return self._score(candidate)[0] >= _MIN_SCORE

    def _score(self, value: str) -> tuple[float, list[tuple[str, int, int]]]:
        found: list[tuple[str, int, int]] = []
        total = 0.0
        scripts = {
            "": True,
            "cyr": _HAS_CYR.search(value) is not None,
            "lat": _HAS_LAT.search(value) is not None,
        }
        runs = digit_runs(value)
        for (pattern, rx), (script, run), core in zip(
            self._compiled, self._needs_of, self._cores, strict=True
        ):
            if not scripts[script] or (run is not None and (not runs if run == 0 else run not in runs)):
                continue  # the feature cannot match: a Cyrillic one without Cyrillic letters, etc.
            if core is not None and core(value) is None:
                continue
            m = rx.search(value)
            if m:
                found.append((pattern.name, m.start(), m.end()))
                total += pattern.score
        return min(1.0, total), found

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        """Fictitious addresses and lookalikes."""
        return (
            Example("г. Москва, ул. Тверская, д. 7, кв. 12, 125009", True, "RU"),
            Example("вулиця Хрещатик, буд. 22, Київ, 01001", True, "UA"),
            Example("Hauptstraße 5, 10115 Berlin", True, "DE"),
            Example("1600 Pennsylvania Avenue, Washington, DC 20500", True, "US"),
            Example("Склад г. Подольск", False, "one feature only"),
            Example("Кофе молотый 250 г.", False, "unit, not a town"),
        )

    def analyze_value(self, value: str, column_name: str | None = None) -> list[RecognizerResult]:
        """One result spanning the address features, if two or more are present."""
        score, found = self._score(value)
        if len(found) < 2 or score < 0.5:
            return []
        start = min(s for _, s, _ in found)
        end = max(e for _, _, e in found)
        rule = "+".join(name for name, _, _ in found)
        checked = score >= _MIN_SCORE
        return [
            self.make_result(
                value, start, end, pattern=rule, base=score, checksum=checked, column_name=column_name
            )
        ]
