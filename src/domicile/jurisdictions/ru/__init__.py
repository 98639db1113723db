"""Russia: 152-FZ (personal data), 149-FZ (information), 236-FZ, 436-FZ."""

from domicile.jurisdictions.ru.pack import RussiaPack

__all__ = ["RussiaPack"]
