"""The root of ShopSight's own exceptions.

Every layer raises subclasses of :class:`ShopSightError` whose message is written for the
person running the command or reading the page, so the command line and the dashboard show
it as it is. Callers dispatch on the type (``WarehouseNotFoundError`` shows an empty state,
``IngestError`` names a file), never on the message text.
"""

from __future__ import annotations


class ShopSightError(Exception):
    """Base class: the message is written for the person running the command."""
