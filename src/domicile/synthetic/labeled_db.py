"""A synthetic database with a ground-truth PD label per column.

Used to measure PD discovery (precision/recall per category) and to try
``domicile scan`` on something realistic. Five tables:

* ``users``: people from RU, KZ, UA, DE, US with names, contacts, RU
  identifiers (RU rows only), addresses, IPs; plus non-PD columns.
* ``orders``: order numbers (some all-digit, starting with 9 like a phone),
  SKUs and EAN-13 barcodes, product names, amounts, timestamps, delivery
  dates, tracking numbers, app versions; and a shipping address (PD).
* ``support_tickets``: free text mentioning phones, e-mails and names, next
  to order numbers and amounts.
* ``payments``: card numbers (valid Luhn, real issuer ranges), holders,
  masked PANs, Luhn-invalid gift-card lookalikes, RRNs, amounts.
* ``sellers``: individual entrepreneurs and companies with INN (10/12),
  OGRN/OGRNIP, contact names, dd.mm.yyyy birth dates, bare 10-digit phones.

Works on any SQLAlchemy URL (SQLite, PostgreSQL); deterministic per seed.
All values are fictitious.
"""

from __future__ import annotations

import ipaddress
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers
import sqlalchemy as sa

from domicile.core.errors import InputError, StoreError
from domicile.recognizers.generic.payment import luhn_valid
from domicile.recognizers.ru.checksums import PASSPORT_REGION_CODES, inn_check, ogrn_check
from domicile.recognizers.ru.name_data import icao_transliterate
from domicile.synthetic.people import SyntheticPerson, make_people

NONE = "none"
TABLES = ("users", "orders", "support_tickets", "payments", "sellers")
_EPOCH = datetime(2024, 1, 1, 9, 0, 0)
_PRODUCTS = (
    "Смартфон Galaxy A54 128GB", "Кофе молотый Жокей 250 г", "Наушники беспроводные Pro", "Чехол силиконовый",
    "Кроссовки беговые Air", "Рюкзак городской 20 л", "Wireless Mouse M185", "USB-C Cable 2m",
    "Smart Watch Series 9", "Набор кистей для макияжа", "Блендер погружной 800 Вт", "Power Bank 20000 mAh",
    "Книга «Мастер и Маргарита»", "Игрушка конструктор City", "Фитнес-браслет Band 8", "Ring Light 26 cm",
)  # fmt: skip
_CURRENCIES = ("RUB", "KZT", "EUR", "USD")
_STATUSES = ("new", "paid", "shipped", "delivered", "cancelled", "refunded")
_SUBJECTS = (
    "Не могу войти", "Вопрос по заказу", "Возврат средств", "Login problem", "Video upload fails",
    "Жалоба на контент", "Account blocked", "Смена номера телефона",
)  # fmt: skip
_TICKET_FILLER = (
    "Приложение зависает при загрузке видео.", "The app crashes after the last update.",
    "Спасибо за быстрый ответ!", "Please check my order status.", "Оплата прошла, но заказ не появился.",
)  # fmt: skip


@dataclass(frozen=True)
class ColumnLabel:
    """Ground truth for one column.

    Attributes:
        table: Table name.
        column: Column name.
        categories: PD categories present (empty for a non-PD column).
    """

    table: str
    column: str
    categories: frozenset[str]

    @property
    def category(self) -> str:
        """The single category of a structured column, ``"none"``, or the sorted first of several."""
        return min(self.categories) if self.categories else NONE


@dataclass(frozen=True)
class LabeledDatabase:
    """What :func:`build_labeled_db` wrote.

    Attributes:
        url: Database URL with any password masked.
        labels: One label per column of every table.
        row_counts: Rows per table.
    """

    url: str
    labels: tuple[ColumnLabel, ...]
    row_counts: Mapping[str, int]

    def label(self, table: str, column: str) -> ColumnLabel:
        """The label of ``table.column``.

        Raises:
            InputError: No such column.
        """
        for lab in self.labels:
            if lab.table == table and lab.column == column:
                return lab
        raise InputError(f"no labeled column {table}.{column}")


def _label_spec() -> dict[str, dict[str, frozenset[str]]]:
    def f(*cats: str) -> frozenset[str]:
        return frozenset(cats)

    return {
        "users": {
            "id": f(), "public_id": f(), "given_name": f("person_name"), "family_name": f("person_name"),
            "patronymic": f("person_name"), "email": f("email"), "phone": f("phone"),
            "birth_date": f("birth_date"), "address": f("postal_address"), "passport": f("ru_passport"),
            "inn": f("inn"), "snils": f("snils"), "last_ip": f("ip_address"), "status": f(),
            "created_at": f(), "referral_code": f(), "balance": f(),
        },
        "orders": {
            "id": f(), "order_no": f(), "user_id": f(), "sku": f(), "product_name": f(), "quantity": f(),
            "amount": f(), "currency": f(), "status": f(), "created_at": f(), "delivery_date": f(),
            "tracking_number": f(), "app_version": f(), "shipping_address": f("postal_address"),
        },
        "support_tickets": {
            "id": f(), "user_id": f(), "subject": f(), "body": f("phone", "email", "person_name"),
            "channel": f(), "created_at": f(),
        },
        "payments": {
            "id": f(), "order_id": f(), "card_number": f("payment_card"), "card_holder": f("person_name"),
            "masked_pan": f(), "gift_card_number": f(), "rrn": f(), "amount": f(), "currency": f(),
            "status": f(), "paid_at": f(),
        },
        "sellers": {
            "id": f(), "legal_form": f(), "contact_name": f("person_name"), "inn": f("inn"),
            "ogrn": f("ogrn"), "contact_dob": f("birth_date"), "phone": f("phone"), "rating": f(),
        },
    }  # fmt: skip


def _metadata() -> sa.MetaData:
    md = sa.MetaData()
    s: sa.types.TypeEngine[Any] = sa.String(300)
    d, dt, i, money = sa.Date(), sa.DateTime(), sa.Integer(), sa.Numeric(12, 2)
    types: dict[str, dict[str, sa.types.TypeEngine[Any]]] = {
        "users": {"public_id": sa.Uuid(), "birth_date": d, "created_at": dt, "balance": money},
        "orders": {"user_id": i, "quantity": i, "amount": money, "created_at": dt, "delivery_date": d},
        "support_tickets": {"user_id": i, "body": sa.Text(), "created_at": dt},
        "payments": {"order_id": i, "amount": money, "paid_at": dt},
        "sellers": {"rating": sa.Numeric(3, 2)},
    }
    for table, cols in _label_spec().items():
        columns: list[sa.Column[Any]] = [sa.Column("id", i, primary_key=True, autoincrement=False)]
        columns += [sa.Column(c, types[table].get(c, s), nullable=True) for c in cols if c != "id"]
        sa.Table(table, md, *columns)
    return md


def _fmt_phone(p: SyntheticPerson, rng: random.Random) -> str:
    num = phonenumbers.parse(p.phone)
    if p.origin in ("RU", "KZ"):
        nsn = p.phone[2:]
        style = rng.randrange(4)
        if style == 0:
            return p.phone
        if style == 1:
            return f"+7 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}"
        if style == 2:
            return f"8 ({nsn[:3]}) {nsn[3:6]}-{nsn[6:8]}-{nsn[8:]}"
        return f"8{nsn}"
    if rng.random() < 0.5:
        return p.phone
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _card(rng: random.Random, valid: bool) -> str:
    prefix = rng.choice(("4", "51", "53", "55", "2200", "2202", "2221", "2701", "4276", "5469"))
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    check = next(str(c) for c in range(10) if luhn_valid(body + str(c)))
    if not valid:
        check = str((int(check) + rng.randrange(1, 10)) % 10)
    digits = body + check
    style = rng.randrange(3)
    if style == 0:
        return digits
    sep = " " if style == 1 else "-"
    return sep.join(digits[k : k + 4] for k in range(0, 16, 4))


def _ean13(rng: random.Random) -> str:
    body = "46" + "".join(str(rng.randrange(10)) for _ in range(10))
    total = sum(int(c) * (3 if k % 2 else 1) for k, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return str(ipaddress.IPv4Address(rng.randrange(0x01000000, 0xDF000000)))
    return str(ipaddress.IPv6Address((0x2A02 << 112) | rng.getrandbits(112)))


def _variant(value: str | None, rng: random.Random, alt: Callable[[str], str]) -> str | None:
    """``value``, or in 30 % of rows its alternative spelling."""
    if value is None:
        return None
    return alt(value) if rng.random() < 0.3 else value


def _order_no(rng: random.Random, k: int) -> str:
    if rng.random() < 0.5:
        return f"9{rng.randrange(10**9):09d}"
    return f"ORD-2024-{k:06d}"


def _ticket(p: SyntheticPerson, rng: random.Random, order_no: str) -> str:
    parts: list[str] = []
    ru = p.origin in ("RU", "KZ", "UA")
    if rng.random() < 0.4:
        parts.append(
            f"Меня зовут {p.given_name} {p.family_name}."
            if ru
            else f"My name is {p.given_name} {p.family_name}."
        )
    parts.append(rng.choice(_TICKET_FILLER))
    if rng.random() < 0.5:
        parts.append(
            f"Заказ №{order_no} на сумму {rng.randrange(100, 90000)} руб." if ru else f"Order {order_no}."
        )
    if rng.random() < 0.4:
        phone = _fmt_phone(p, rng)
        parts.append(f"Перезвоните мне: {phone}" if ru else f"Call me back at {phone}")
    if rng.random() < 0.35:
        parts.append(f"Мой e-mail {p.email}" if ru else f"Reply to {p.email} please")
    return " ".join(parts)


def _ts(rng: random.Random) -> datetime:
    return _EPOCH + timedelta(seconds=rng.randrange(3 * 10**7))


def _money(rng: random.Random, high: int = 10**7) -> Decimal:
    return Decimal(rng.randrange(100, high)) / 100


def _user(k: int, p: SyntheticPerson, rng: random.Random) -> dict[str, object]:
    return {
        "id": k + 1,
        "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
        "given_name": p.given_name,
        "family_name": p.family_name,
        "patronymic": p.patronymic,
        "email": p.email,
        "phone": _fmt_phone(p, rng),
        "birth_date": date.fromisoformat(p.birth_date),
        "address": p.address,
        "passport": _variant(p.passport, rng, lambda v: f"{v[:2]} {v[2:]}"),
        "inn": p.inn,
        "snils": _variant(p.snils, rng, lambda v: v.replace("-", "").replace(" ", "")),
        "last_ip": _ip(rng),
        "status": rng.choice(("active", "blocked", "pending", "deleted")),
        "created_at": _ts(rng),
        "referral_code": f"REF-{rng.getrandbits(24):06X}",
        "balance": _money(rng, 10**6),
    }


def _order(k: int, p: SyntheticPerson, rng: random.Random) -> dict[str, object]:
    sku = _ean13(rng) if rng.random() < 0.5 else f"SKU-{rng.getrandbits(16):04X}-{rng.randrange(10**4):04d}"
    track = f"RA{rng.randrange(10**9):09d}RU" if rng.random() < 0.5 else str(rng.randrange(10**13, 10**14))
    return {
        "id": k + 1,
        "order_no": _order_no(rng, k + 1),
        "user_id": k + 1,
        "sku": sku,
        "product_name": rng.choice(_PRODUCTS),
        "quantity": rng.randrange(1, 6),
        "amount": _money(rng),
        "currency": rng.choice(_CURRENCIES),
        "status": rng.choice(_STATUSES),
        "created_at": _ts(rng),
        "delivery_date": date(2024, 1, 1) + timedelta(days=rng.randrange(700)),
        "tracking_number": track,
        "app_version": f"{rng.randrange(1, 40)}.{rng.randrange(30)}.{rng.randrange(10)}",
        "shipping_address": p.address,
    }


def _support_ticket(k: int, p: SyntheticPerson, rng: random.Random) -> dict[str, object]:
    return {
        "id": k + 1,
        "user_id": k + 1,
        "subject": rng.choice(_SUBJECTS),
        "body": _ticket(p, rng, _order_no(rng, k + 1)),
        "channel": rng.choice(("app", "web", "email")),
        "created_at": _ts(rng),
    }


def _payment(k: int, p: SyntheticPerson, rng: random.Random) -> dict[str, object]:
    card = _card(rng, valid=True)
    digits = card.replace(" ", "").replace("-", "")
    return {
        "id": k + 1,
        "order_id": k + 1,
        "card_number": card,
        "card_holder": f"{icao_transliterate(p.given_name)} {icao_transliterate(p.family_name)}".upper(),
        "masked_pan": f"{digits[:4]} **** **** {digits[-4:]}",
        "gift_card_number": _card(rng, valid=False),
        "rrn": str(rng.randrange(10**11, 10**12)),
        "amount": _money(rng),
        "currency": rng.choice(_CURRENCIES),
        "status": rng.choice(("ok", "declined", "refund")),
        "paid_at": _ts(rng),
    }


def _seller(k: int, p: SyntheticPerson, rng: random.Random) -> dict[str, object]:
    """A sole trader (ИП: 12-digit INN, OGRNIP) or a company (ООО: 10-digit INN, OGRN)."""
    is_ip = rng.random() < 0.6
    region = rng.choice(sorted(PASSPORT_REGION_CODES))
    inn_body = region + "".join(str(rng.randrange(10)) for _ in range(8 if is_ip else 7))
    year = rng.randrange(2, 25)
    if is_ip:
        ogrn_body = f"3{year:02d}{region}{rng.randrange(10**9):09d}"
    else:
        ogrn_body = f"1{year:02d}{region}{rng.randrange(10**7):07d}"
    return {
        "id": k + 1,
        "legal_form": "ИП" if is_ip else "ООО",
        "contact_name": " ".join(x for x in (p.family_name, p.given_name, p.patronymic) if x),
        "inn": inn_body + inn_check(inn_body),
        "ogrn": ogrn_body + ogrn_check(ogrn_body),
        "contact_dob": date.fromisoformat(p.birth_date).strftime("%d.%m.%Y"),
        "phone": p.phone[2:],  # bare national number, e.g. 9161234567
        "rating": Decimal(rng.randrange(100, 500)) / 100,
    }


_ROW_MAKERS: dict[str, Callable[[int, SyntheticPerson, random.Random], dict[str, object]]] = {
    "users": _user,
    "orders": _order,
    "support_tickets": _support_ticket,
    "payments": _payment,
    "sellers": _seller,
}


def _rows(rows: Mapping[str, int], seed: int) -> dict[str, list[dict[str, object]]]:
    rng = random.Random(seed)
    n_people = max(*rows.values(), 1)
    people = make_people(n_people, seed=seed)
    ru_kz = [p for p in people if p.origin in ("RU", "KZ")]
    out: dict[str, list[dict[str, object]]] = {}
    for table in TABLES:
        pool = ru_kz if table == "sellers" and ru_kz else people
        make = _ROW_MAKERS[table]
        out[table] = [make(k, pool[k % len(pool)], rng) for k in range(rows[table])]
    return out


def build_labeled_db(
    url: str,
    *,
    rows: int = 300,
    sizes: Mapping[str, int] | None = None,
    seed: int = 0,
) -> LabeledDatabase:
    """Create and fill the labeled tables in an empty database.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///scan.db`` or ``postgresql+psycopg://...``.
        rows: Rows per table (sellers get ``max(20, rows // 5)``).
        sizes: Per-table overrides, e.g. ``{"orders": 1000}``.
        seed: Seed; the same arguments write the same data.

    Returns:
        Labels for every column, and row counts.

    Raises:
        InputError: A size is negative, a table name unknown, or the tables already exist.
        StoreError: The database cannot be reached or written.
    """
    counts = {t: rows for t in TABLES}
    counts["sellers"] = max(20, rows // 5)
    for t, n in (sizes or {}).items():
        if t not in counts:
            raise InputError(f"unknown table {t!r} in sizes; expected some of {list(TABLES)}")
        counts[t] = n
    if any(n < 0 for n in counts.values()):
        raise InputError("table sizes must be >= 0")
    data = _rows(counts, seed)
    md = _metadata()
    engine = sa.create_engine(url)
    try:
        existing = set(sa.inspect(engine).get_table_names()) & set(TABLES)
        if existing:
            raise InputError(f"database already has table(s) {sorted(existing)}; use an empty database")
        with engine.begin() as conn:
            md.create_all(conn)
            for table in TABLES:
                if data[table]:
                    conn.execute(md.tables[table].insert(), data[table])
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"could not write the labeled database: {type(exc).__name__}") from exc
    finally:
        engine.dispose()
    spec = _label_spec()
    labels = tuple(ColumnLabel(t, c, cats) for t in TABLES for c, cats in spec[t].items())
    masked = sa.make_url(url).render_as_string(hide_password=True)
    return LabeledDatabase(url=masked, labels=labels, row_counts=counts)


def read_columns(url: str, *, limit: int | None = None) -> dict[tuple[str, str], list[object]]:
    """Read every column of the labeled tables (first ``limit`` rows by id).

    Raises:
        StoreError: The database cannot be read or lacks the tables.
    """
    engine = sa.create_engine(url)
    try:
        md = sa.MetaData()
        md.reflect(engine, only=list(TABLES))
        out: dict[tuple[str, str], list[object]] = {}
        with engine.connect() as conn:
            for name in TABLES:
                table = md.tables[name]
                rows = conn.execute(sa.select(table).order_by(table.c.id).limit(limit)).all()
                for col in table.columns:
                    out[(name, col.name)] = [r._mapping[col.name] for r in rows]
        return out
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"could not read the labeled database: {type(exc).__name__}") from exc
    finally:
        engine.dispose()
