"""Every page renders on every real dataset, saying what the data cannot support."""

from __future__ import annotations

import pytest

from dashboard.app import create_app, page_modules
from dashboard.settings import Settings
from tests.support.dash_client import DashClient
from warehouse.build import build_warehouse

# Whole-dataset builds and fits: slow by nature, so `run.sh test-fast` leaves them out.
pytestmark = [pytest.mark.realdata, pytest.mark.slow]

DATASETS = {
    "uci": ("uci_clickstream/e-shop_clothing_2008.csv.zst", "has customer or user ids"),
    "shoppers": ("online_shoppers/online_shoppers_intention.csv", "has customer or user ids"),
    "retail": ("online_retail/online_retail.parquet", "no add-to-cart events"),
    "ga4": ("ga4_sample/ga4_events_sampled.snappy.parquet", "look sampled"),
}
PAGES = [module.PATH for module in page_modules()]


@pytest.mark.parametrize("name", list(DATASETS))
def test_pages_render_on_real_data_and_name_what_is_missing(shared_data, tmp_path, name):
    relative, expected_reason = DATASETS[name]
    db = tmp_path / "w.duckdb"
    build_warehouse(db, [str(shared_data / relative)])
    client = DashClient(create_app(Settings(db_path=db, state_path=tmp_path / "s.sqlite3")))
    rendered = {path: client.render(path) for path in PAGES}
    for path, content in rendered.items():
        assert "Unexpected error" not in content, path
        assert "This view cannot be shown" not in content, path
    assert any(expected_reason in content for content in rendered.values())
