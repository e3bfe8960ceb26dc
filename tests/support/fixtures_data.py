"""Input data shared by several test modules: the tiny hand-checked event log and where the
real datasets live."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

EVENT_LOG_HEADER = (
    "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"
)

#: An event log whose every mart number is worked out by hand in tests/unit/test_marts.py.
EVENTS = [
    # u1, session s1: two views, a cart add and a purchase of p1 → converted
    "2024-03-01 10:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,u1,s1",
    "2024-03-01 10:05:00 UTC,view,p2,11,home.lamp,lumo,8.00,u1,s1",
    "2024-03-01 10:06:00 UTC,cart,p1,10,apparel.shoes,acme,20.00,u1,s1",
    "2024-03-01 10:10:00 UTC,purchase,p1,10,apparel.shoes,acme,20.00,u1,s1",
    # u1, session s2: buys p3 and p1 (revenue 50) → second order
    "2024-04-15 12:00:00 UTC,view,p3,10,apparel.shoes,acme,30.00,u1,s2",
    "2024-04-15 12:01:00 UTC,cart,p3,10,apparel.shoes,acme,30.00,u1,s2",
    "2024-04-15 12:02:00 UTC,purchase,p3,10,apparel.shoes,acme,30.00,u1,s2",
    "2024-04-15 12:02:00 UTC,purchase,p1,10,apparel.shoes,acme,20.00,u1,s2",
    # u2, session s3: a single view → bounced
    "2024-03-10 09:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,u2,s3",
    # u2, session s4: cart add, no purchase → abandoned
    "2024-04-20 18:00:00 UTC,view,p2,11,home.lamp,lumo,8.00,u2,s4",
    "2024-04-20 18:03:00 UTC,cart,p2,11,home.lamp,lumo,8.00,u2,s4",
    # u3, session s5: views the same product twice
    "2024-04-30 20:00:00 UTC,view,p1,10,apparel.shoes,acme,20.00,u3,s5",
    "2024-04-30 20:02:00 UTC,view,p1,10,apparel.shoes,acme,20.00,u3,s5",
]


def shared_data_dir() -> Path | None:
    """``../shared/data`` next to the checkout, or $SHOPSIGHT_SHARED_DATA."""
    candidates = [
        os.environ.get("SHOPSIGHT_SHARED_DATA"),
        str(ROOT.parent / "shared" / "data"),
        "/work/shared/data",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "README.md").is_file():
            return Path(candidate)
    return None
