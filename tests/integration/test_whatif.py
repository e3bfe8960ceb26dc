"""What-if: the engine against the batch features and scores of a really trained warehouse,
and the page's callbacks through Flask's test client."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from plotly.utils import PlotlyJSONEncoder

from analytics.whatif import CUSTOMER_LEVERS, ProfileError, WhatIf
from analytics.whatif.wording import plain_sentence
from dashboard import ids
from dashboard.app import create_app
from dashboard.pages.whatif.state import POINTS
from dashboard.settings import Settings
from models import features as feat
from models.score import Predictor
from tests.support.dash_client import DashClient
from tests.support.warehouses import HORIZON_DAYS, generated_warehouse
from tests.support.whatif_requests import update_payload
from warehouse.reader import WarehouseReader

# Slow: almost every test reads the really trained warehouse (generate, build, train, score).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def reader(trained_db: Path) -> WarehouseReader:
    return WarehouseReader(trained_db)


@pytest.fixture(scope="session")
def engine(reader: WarehouseReader) -> WhatIf:
    return WhatIf.load(reader)


def query(db: Path, sql: str, params: dict[str, Any] | None = None) -> pl.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()
    finally:
        con.close()


@pytest.fixture(scope="session")
def batch_features(trained_db: Path, engine: WhatIf) -> pl.DataFrame:
    """Every customer's features as ``shopsight score`` computes them."""
    con = duckdb.connect(str(trained_db), read_only=True)
    try:
        assert engine.anchor == feat.data_window(con).anchor
        return feat.customer_features(con, engine.anchor, engine.horizon_days)
    finally:
        con.close()


def sample_customers(db: Path) -> list[str]:
    """A buyer, a non-buyer, the highest value at risk and two others."""
    rows = query(
        db,
        "(SELECT customer_id FROM customers WHERE orders > 1 ORDER BY customer_id LIMIT 1) "
        "UNION ALL (SELECT customer_id FROM customers WHERE orders = 0 "
        "ORDER BY customer_id LIMIT 1) "
        "UNION ALL (SELECT customer_id FROM customer_scores "
        "ORDER BY value_at_risk DESC NULLS LAST LIMIT 1) "
        "UNION ALL (SELECT customer_id FROM customers ORDER BY hash(customer_id) LIMIT 2)",
    )
    return rows["customer_id"].to_list()


# ---------------------------------------------------------------------- the engine


def test_the_test_warehouse_has_every_model_it_needs(engine):
    assert engine.entities == ("customer", "session")
    assert {"customer_purchase", "customer_revenue", "customer_churn"} <= set(engine.predictors)
    assert engine.horizon_days == HORIZON_DAYS


def test_one_customer_profile_equals_the_batch_feature_row(
    trained_db, reader, engine, batch_features
):
    for customer in sample_customers(trained_db):
        profile = engine.customer_profile(reader, customer)
        row = batch_features.filter(pl.col("customer_id") == customer).row(0, named=True)
        assert set(profile.values) == set(engine.feature_names("customer"))
        for name, value in profile.values.items():
            assert value == pytest.approx(float(row[name]), rel=1e-12, abs=1e-12), name
        assert profile.as_of == engine.anchor


def test_unchanged_profile_predicts_the_stored_scores(trained_db, reader, engine):
    scores = query(trained_db, "SELECT * FROM customer_scores")
    for customer in sample_customers(trained_db):
        stored = scores.filter(pl.col("customer_id") == customer).row(0, named=True)
        prediction = engine.predict(engine.customer_profile(reader, customer))
        # Same model, same feature row: the same number up to float rounding.
        for name in ("purchase_prob", "predicted_revenue", "churn_prob", "value_at_risk"):
            assert prediction.value(name) == pytest.approx(stored[name], rel=1e-9, abs=1e-12)
        assert prediction.churn_tier == stored["churn_tier"]
        for name, column in (
            ("purchase_prob", "purchase_model_version"),
            ("predicted_revenue", "revenue_model_version"),
            ("churn_prob", "churn_model_version"),
        ):
            assert prediction.estimates[name].model_version == stored[column]


def test_reasons_are_the_stored_reasons_for_the_unchanged_profile(trained_db, reader, engine):
    scores = query(trained_db, "SELECT * FROM customer_scores")
    prefixes = {
        "customer_purchase": "purchase",
        "customer_revenue": "revenue",
        "customer_churn": "churn",
    }
    for customer in sample_customers(trained_db):
        stored = scores.filter(pl.col("customer_id") == customer).row(0, named=True)
        for reasons in engine.reasons(engine.customer_profile(reader, customer)):
            prefix = prefixes[reasons.task]
            assert reasons.texts == [stored[f"{prefix}_reason_{i}"] for i in (1, 2, 3)]


def test_reasons_follow_the_edited_values(reader, engine):
    profile = engine.default_profile(reader)
    predictor = engine.predictors["customer_churn"]
    edited = profile.with_values({"cart_adds": 7.0, "sessions_last_period": 9.0})
    x = feat.matrix(pl.DataFrame([edited.values]), predictor.names)
    batch = [s[0] for s in predictor.reasons(x, "customer_churn")]
    churn = next(r for r in engine.reasons(edited) if r.task == "customer_churn")
    assert churn.texts == batch


def test_session_profile_and_prediction_equal_the_batch(trained_db, reader, engine):
    scores = query(
        trained_db,
        "SELECT session_id, conversion_prob, predicted_order_value FROM session_scores "
        "ORDER BY hash(session_id) LIMIT 4",
    )
    con = duckdb.connect(str(trained_db), read_only=True)
    try:
        feat.prepare_session_prefixes(con)
        batch = feat.session_features(con, has_clock_time=True)
    finally:
        con.close()
    for stored in scores.iter_rows(named=True):
        profile = engine.session_profile(reader, stored["session_id"])
        row = batch.filter(pl.col("session_id") == stored["session_id"])
        for name, value in profile.values.items():
            expected = float(row[name][0]) if row.height else 0.0
            assert value == pytest.approx(expected, rel=1e-12), name
        prediction = engine.predict(profile)
        assert prediction.value("conversion_prob") == pytest.approx(
            stored["conversion_prob"], rel=1e-9
        )
        assert prediction.value("predicted_order_value") == pytest.approx(
            stored["predicted_order_value"], rel=1e-9
        )


def test_segment_profile_is_the_median_of_its_members(trained_db, reader, engine, batch_features):
    members = query(trained_db, "SELECT customer_id, segment_id FROM customer_scores")
    segments = engine.segments(reader)
    assert segments
    for segment_id, _, count in segments:
        profile = engine.segment_profile(reader, segment_id)
        rows = batch_features.join(
            members.filter(pl.col("segment_id") == segment_id), on="customer_id"
        )
        assert rows.height == count == profile.members
        for name, value in profile.values.items():
            assert value == pytest.approx(rows[name].median(), rel=1e-12), name


def test_sensitivity_sweeps_one_lever_and_holds_the_others(reader, engine):
    profile = engine.default_profile(reader)
    lever = next(lv for lv in engine.levers(profile) if lv.feature == "cart_adds")
    for points in (21, 5):
        curve = engine.sensitivity(profile, "cart_adds", points=points)
        assert len(curve.xs) == points
        assert curve.xs[0] == lever.low and curve.xs[-1] == pytest.approx(lever.high)
        assert curve.current == profile.values["cart_adds"]
        for name, ys in curve.outputs.items():
            assert len(ys) == points, name
    # Each point is the prediction of the profile with only that lever changed.
    for x, churn, revenue in zip(
        curve.xs, curve.outputs["churn_prob"], curve.outputs["predicted_revenue"], strict=True
    ):
        one = engine.predict(profile.with_values({"cart_adds": x}))
        assert churn == pytest.approx(one.value("churn_prob"), rel=1e-12)
        assert revenue == pytest.approx(one.value("predicted_revenue"), rel=1e-12)
    # The batch used by the page gives the same curves.
    _, curves = engine.evaluate(profile, points=5)
    same = next(c for c in curves if c.feature == "cart_adds")
    assert same.outputs["churn_prob"] == pytest.approx(curve.outputs["churn_prob"], rel=1e-12)


def test_levers_are_the_allow_list_ranged_by_the_data(reader, engine, batch_features):
    profile = engine.default_profile(reader)
    levers = engine.levers(profile)
    allowed = {spec.feature for spec in CUSTOMER_LEVERS}
    features = {lv.feature for lv in levers}
    assert features <= allowed
    assert not features & {
        "recency_days",
        "tenure_days",
        "days_since_last_order",
        "orders",
        "revenue",
        "sessions",
        "mean_days_between_sessions",
    }
    assert {"sessions_last_period", "cart_adds", "abandoned_carts"} <= features
    for lever in levers:
        start = profile.values[lever.feature]
        assert lever.low <= start <= lever.high
        # The data's support: its 1st to 99th percentile (the sample holds every customer of
        # this small warehouse), widened to the start, in whole steps.
        data = batch_features[lever.feature].cast(pl.Float64)
        p1 = data.quantile(0.01, interpolation="lower")
        p99 = data.quantile(0.99, interpolation="higher")
        assert lever.low == pytest.approx(
            math.floor(min(p1, start) / lever.step + 1e-9) * lever.step
        ), lever.feature
        assert lever.high == pytest.approx(
            math.ceil(max(p99, start) / lever.step - 1e-9) * lever.step
        ), lever.feature
        assert lever.step > 0 and (lever.step == 1.0 or not lever.integer)
    held = " ".join(engine.held(profile))
    assert "last seen" in held and "a customer for" in held


def test_missing_model_is_unavailable_with_its_reason(reader, engine):
    partial = WhatIf(
        {t: p for t, p in engine.predictors.items() if t != "customer_revenue"},
        {"customer_revenue": "training data: too few buyers"},
        anchor=engine.anchor,
        horizon_days=engine.horizon_days,
        ranges=engine.ranges,
        has_clock_time=engine.has_clock_time,
        is_aggregate=engine.is_aggregate,
        directory=engine.directory,
    )
    prediction = partial.predict(engine.default_profile(reader))
    assert prediction.value("churn_prob") is not None
    revenue = prediction.estimates["predicted_revenue"]
    assert not revenue.available
    assert revenue.describe() == "unavailable: training data: too few buyers"
    assert "needs the customer_churn and customer_revenue" in (
        prediction.estimates["value_at_risk"].describe()
    )


def test_unknown_or_malformed_profiles_raise_a_message(reader, engine):
    for call, arg, message in (
        (engine.customer_profile, "no-such-customer", "no customer 'no-such-customer'"),
        (engine.customer_profile, "", "enter a customer id"),
        (engine.customer_profile, "x" * 500, "is not a customer id"),
        (engine.session_profile, "nope", "no session 'nope'"),
        (engine.segment_profile, "abc", "is not a segment id"),
        (engine.segment_profile, 99, "no segment 99"),
    ):
        with pytest.raises(ProfileError, match=message):
            call(reader, arg)


def test_predictor_what_if_agrees_with_the_engine(reader, engine):
    profile = engine.default_profile(reader).with_values({"orders_last_period": 2.0})
    direct = Predictor.what_if(engine.predictors["customer_purchase"], profile.values)
    assert engine.predict(profile).value("purchase_prob") == pytest.approx(direct, rel=1e-12)


# ---------------------------------------------------------------------- the page


def make_client(db: Path, tmp_path: Path, **settings: object) -> DashClient:
    app = create_app(Settings(db_path=db, state_path=tmp_path / "state.sqlite3", **settings))
    return DashClient(app)


def curve_outputs(response: dict[str, Any]) -> dict[str, Any]:
    """The curve figures (or patches) of a callback response, by lever feature."""
    found = {}
    for key, value in response.items():
        if key.startswith("{"):
            component = json.loads(key)
            if component.get("type") == ids.WI_CURVE:
                found[component["feature"]] = value["figure"]
    return found


def post(client: DashClient, payload: dict[str, Any]) -> tuple[int, Any]:
    response = client.http.post("/_dash-update-component", json=payload)
    return response.status_code, response.get_json(silent=True)


def reason_lists(tree: Any) -> dict[str, list[str]]:
    """The reason sentences of a serialised reasons card, by the outcome heading them."""
    found: dict[str, list[str]] = {}
    heading = ""

    def walk(node: Any) -> None:
        nonlocal heading
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            children = node.get("props", {}).get("children")
            if node.get("type") == "Div" and isinstance(children, str):
                heading = children
            elif node.get("type") == "Li":
                found.setdefault(heading, []).append(children)
            else:
                walk(children)

    walk(tree)
    return found


@pytest.fixture(scope="module")
def client(trained_db, tmp_path_factory):
    """One app for the read-only page tests (each app loads its own models)."""
    return make_client(trained_db, tmp_path_factory.mktemp("whatif-app"))


def test_page_renders_the_customer_from_the_url(client, reader, engine):
    customer = engine.default_profile(reader).key
    assert client.http.get(f"/what-if?customer={customer}").status_code == 200
    content = client.render("/what-if", f"?customer={customer}")
    assert f"Customer {customer}" in content
    assert "Unexpected error" not in content and "cannot be shown" not in content
    for lever in engine.levers(engine.customer_profile(reader, customer)):
        assert lever.label in content
    prediction = engine.predict(engine.customer_profile(reader, customer))
    assert f"{prediction.value('churn_prob'):.1%}" in content


def warning_texts(node: Any) -> dict[str, str | None]:
    """The text of each curve's warning place (None: no warning), by lever feature, from a
    serialised page or a callback response."""
    found: dict[str, str | None] = {}

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for child in item:
                walk(child)
        elif isinstance(item, dict):
            props = item.get("props", {})
            key = props.get("id")
            if isinstance(key, dict) and key.get("type") == ids.WI_CURVE_WARNING:
                found[key["feature"]] = text_of(props.get("children"))
            else:
                walk(props.get("children"))
                walk([v for k, v in item.items() if k != "props"])

    walk(node)
    return found


def text_of(node: Any) -> str | None:
    """The text inside a serialised component (None when it is empty)."""
    if node is None:
        return None
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(t for t in (text_of(n) for n in node) if t)
    return text_of(node.get("props", {}).get("children"))


def as_shown(warning: str) -> str:
    """A curve's warning as the page shows it."""
    return f"⚠ {warning[0].upper()}{warning[1:]}."


def test_page_says_curves_are_associations_and_warns_on_a_curve_against_its_lever(
    client, reader, engine
):
    from analytics.whatif import ASSOCIATION_NOTE

    start = engine.default_profile(reader)
    content = client.render("/what-if")
    assert json.dumps(ASSOCIATION_NOTE)[1:-1] in content
    shown = warning_texts(json.loads(content))
    assert set(shown) == {lv.feature for lv in engine.levers(start)}
    # The page opens on churn: in this warehouse the model's churn risk rises with visits
    # in the last period — against the lever's plain meaning, so its curve is flagged.
    visits = engine.sensitivity(start, "sessions_last_period")
    churn = visits.outputs["churn_prob"]
    assert churn[-1] is not None and churn[0] is not None and churn[-1] > churn[0] + 0.01
    assert shown["sessions_last_period"] == (
        "⚠ More visits raise churn probability here: the model learned an association that "
        "runs against the lever's plain meaning — don't read it as cause."
    )
    # Every other curve is warned exactly where the engine flags it for churn.
    for curve in engine.evaluate(start, POINTS, curves_of=["churn_prob"])[1]:
        flagged = curve.warnings.get("churn_prob")
        assert shown[curve.feature] == (None if flagged is None else as_shown(flagged))
    # A lever with no plain meaning for churn is never flagged on it.
    assert shown["abandoned_carts"] is None


def test_a_slider_move_keeps_the_warnings_with_their_curves(client, reader, engine):
    start = engine.default_profile(reader)
    levers = {lv.feature: lv for lv in engine.levers(start)}
    values = {f: start.values[f] for f in levers}
    values["cart_adds"] = levers["cart_adds"].high
    payload = update_payload(
        client,
        {"kind": "customer", "key": start.key},
        values,
        target="purchase_prob",
        triggered=ids.WI_TARGET,
    )
    status, body = post(client, payload)
    assert status == 200
    shown = {
        json.loads(key)["feature"]: text_of(value["children"])
        for key, value in body["response"].items()
        if key.startswith("{") and json.loads(key).get("type") == ids.WI_CURVE_WARNING
    }
    moved = start.with_values({"cart_adds": values["cart_adds"]})
    _, curves = engine.evaluate(moved, POINTS, curves_of=["purchase_prob"])
    expected = {
        c.feature: as_shown(c.warnings["purchase_prob"]) if "purchase_prob" in c.warnings else None
        for c in curves
    }
    assert shown == expected
    assert any(expected.values()) and not all(expected.values())  # some flagged, not all


def test_page_starts_from_a_segment_and_from_a_session(client, trained_db):
    content = client.render("/what-if", "?segment=0")
    assert "Typical member of" in content
    session = query(trained_db, "SELECT min(session_id) AS s FROM sessions")["s"][0]
    content = client.render("/what-if", f"?session={session}")
    assert f"Session {session}" in content and "Conversion chance" in content


def test_a_slider_move_updates_cards_reasons_and_curves(client, reader, engine):
    start = engine.default_profile(reader)
    levers = {lv.feature: lv for lv in engine.levers(start)}
    values = {f: start.values[f] for f in levers}
    values["sessions_last_period"] = levers["sessions_last_period"].high
    status, body = post(
        client, update_payload(client, {"kind": "customer", "key": start.key}, values)
    )
    assert status == 200
    response = body["response"]
    expected = engine.predict(
        start.with_values({"sessions_last_period": values["sessions_last_period"]})
    )
    cards = json.dumps(response[ids.WI_CARDS]["children"])
    assert f"{expected.value('churn_prob'):.1%}" in cards
    assert f"{expected.value('purchase_prob'):.1%}" in cards
    assert "Visits in the last 20 days" in json.dumps(response[ids.WI_CHANGES]["children"])
    # The reasons are the moved profile's: more visits move "spent so far" up to second.
    reasons = reason_lists(response[ids.WI_REASONS]["children"])
    assert reasons["Purchase chance"] == [
        "7 cart adds raised the purchase chance.",
        "1,884 spent so far raised the purchase chance.",
        "10 product views raised the purchase chance.",
    ]
    assert reasons["Churn risk"] == [
        "1 day since the last order raised the churn risk.",
        "3 visits raised the churn risk.",
        "Being a customer for 3 days raised the churn risk.",
    ]
    moved_reasons = engine.reasons(
        start.with_values({"sessions_last_period": values["sessions_last_period"]})
    )
    assert reasons == {
        r.outcome.capitalize(): [plain_sentence(t) for t in r.texts] for r in moved_reasons
    }
    # Curves come back as patches: new heights for the line, the marker moved.
    patches = curve_outputs(response)
    assert set(patches) == set(levers)
    moved = engine.sensitivity(
        start.with_values({"sessions_last_period": values["sessions_last_period"]}), "cart_adds"
    )
    operations = {
        tuple(op["location"]): op["params"]["value"] for op in patches["cart_adds"]["operations"]
    }
    assert operations[("data", 0, "y")] == pytest.approx(moved.outputs["churn_prob"], rel=1e-12)
    assert operations[("data", 1, "x")] == [start.values["cart_adds"]]
    assert operations[("data", 1, "y")] == [pytest.approx(expected.value("churn_prob"))]


def test_changing_the_curve_output_sends_whole_figures(client, reader, engine):
    start = engine.default_profile(reader)
    values = {lv.feature: start.values[lv.feature] for lv in engine.levers(start)}
    payload = update_payload(
        client,
        {"kind": "customer", "key": start.key},
        values,
        target="predicted_revenue",
        triggered=ids.WI_TARGET,
    )
    status, body = post(client, payload)
    assert status == 200
    figures = list(curve_outputs(body["response"]).values())
    assert figures and all("data" in f and "layout" in f for f in figures)
    assert figures[0]["layout"]["yaxis"].get("tickformat") is None  # money, not a share


def test_bad_slider_values_and_a_forged_profile_do_not_500(client, reader, engine):
    start = engine.default_profile(reader)
    values: dict[str, Any] = {lv.feature: "DROP TABLE" for lv in engine.levers(start)}
    status, body = post(
        client, update_payload(client, {"kind": "customer", "key": start.key}, values)
    )
    assert status == 200  # non-numbers ignored: the starting profile's predictions
    expected = engine.predict(start)
    assert f"{expected.value('churn_prob'):.1%}" in json.dumps(body)
    status, _ = post(
        client,
        update_payload(
            client,
            {"kind": "customer", "key": start.key},
            {"cart_adds": 1},
            target={"not": "a name"},
        ),
    )
    assert status == 200
    for forged in ({"kind": "admin", "key": "1"}, {"kind": "customer", "key": 5}, "x"):
        status, _ = post(client, update_payload(client, forged, {"cart_adds": 1}))
        assert status in (200, 204)
    status, body = post(
        client, update_payload(client, {"kind": "customer", "key": "ghost"}, {"cart_adds": 1})
    )
    assert status == 200 and "no customer 'ghost'" in json.dumps(body)


def test_an_unknown_customer_gets_a_message_not_a_500(client):
    assert client.http.get("/what-if?customer=ghost").status_code == 200
    content = client.render("/what-if", "?customer=ghost")
    assert "no customer 'ghost' in this warehouse" in content
    assert "Unexpected error" not in content
    status, body = client.call(
        ids.WI_NAV + ".href",
        {ids.WI_CUSTOMER_GO + ".n_clicks": 1},
        state={ids.WI_CUSTOMER + ".value": "ghost"},
        triggered=ids.WI_CUSTOMER_GO + ".n_clicks",
    )
    assert status == 200
    assert "no customer 'ghost'" in json.dumps(body)
    assert ids.WI_NAV not in body["response"]


def test_picking_a_customer_moves_the_url(client, reader, engine):
    customer = engine.default_profile(reader).key
    status, body = client.call(
        ids.WI_NAV + ".href",
        {ids.WI_CUSTOMER + ".n_submit": 1},
        state={ids.WI_CUSTOMER + ".value": f"  {customer} "},
        triggered=ids.WI_CUSTOMER + ".n_submit",
    )
    assert status == 200
    assert body["response"][ids.WI_NAV]["href"] == f"/what-if?customer={customer}"
    status, body = client.call(
        ids.WI_NAV + ".href", {ids.WI_SEGMENT + ".value": "1"}, triggered=ids.WI_SEGMENT + ".value"
    )
    assert body["response"][ids.WI_NAV]["href"] == "/what-if?segment=1"


def test_reset_returns_every_slider_to_the_start(client, reader, engine):
    start = engine.default_profile(reader)
    features = [lv.feature for lv in engine.levers(start)]
    dep = client.callback('"type":"' + ids.WI_SLIDER + '"}.value')
    outputs = [{"id": {"type": ids.WI_SLIDER, "feature": f}, "property": "value"} for f in features]
    response = client.http.post(
        "/_dash-update-component",
        json={
            "output": dep["output"],
            "outputs": outputs,
            "inputs": [{"id": ids.WI_RESET, "property": "n_clicks", "value": 1}],
            "state": [
                {
                    "id": ids.WI_PROFILE,
                    "property": "data",
                    "value": {"kind": "customer", "key": start.key},
                }
            ],
            "changedPropIds": [ids.WI_RESET + ".n_clicks"],
        },
    )
    assert response.status_code == 200
    values = [v["value"] for k, v in response.get_json()["response"].items()]
    assert values == [start.values[f] for f in features]


def test_a_viewer_can_use_what_if(trained_db, tmp_path, reader, engine):
    from appstate.store import AppState
    from tests.support.signin import sign_in

    state = tmp_path / "state.sqlite3"
    AppState(state).add_user("vera", "viewer-pass-1", "viewer")
    client = DashClient(create_app(Settings(db_path=trained_db, state_path=state, demo_mode=False)))
    start = engine.default_profile(reader)
    payload = update_payload(client, {"kind": "customer", "key": start.key}, {"cart_adds": 3})
    assert post(client, payload)[0] == 401  # signed out: refused
    sign_in(client, "vera", "viewer-pass-1")
    assert client.http.get("/what-if").status_code == 200
    status, body = post(client, payload)
    assert status == 200 and ids.WI_CARDS in body["response"]


def test_no_models_trained_shows_what_to_run(tmp_path):
    db = generated_warehouse(tmp_path / "plain", customers=60, days=30)
    content = make_client(db, tmp_path).render("/what-if")
    assert "No models trained yet" in content and "shopsight train" in content
    assert "Unexpected error" not in content


def test_the_default_view_names_its_profile(client, reader, engine):
    content = client.render("/what-if")
    default = engine.default_profile(reader)
    assert f"Customer {default.key}" in content
    stored = query(
        client.app.server.extensions["shopsight"].settings.db_path,
        "SELECT customer_id FROM customer_scores ORDER BY value_at_risk DESC NULLS LAST LIMIT 1",
    )
    assert stored["customer_id"][0] == default.key


# ---------------------------------------------------------------------- callbacks, called directly


@pytest.fixture()
def in_app(client):
    """A request context of the page's app, as a callback runs in."""
    with client.app.server.test_request_context("/"):
        yield


def test_update_view_moves_one_slider(in_app, reader, engine):
    from dash import Patch

    from dashboard.pages.whatif import callbacks

    start = engine.default_profile(reader)
    levers = {lv.feature: lv for lv in engine.levers(start)}
    high = levers["sessions_last_period"].high
    moves = [(f, start.values[f]) for f in levers] + [("sessions_last_period", high * 10)]
    graphs = [*levers, "not-a-lever"]
    data = {"kind": "customer", "key": start.key}
    cards, reasons, figures, chips, warnings = callbacks.update_view(
        data, "churn_prob", moves, graphs, full=False
    )
    expected = engine.predict(start.with_values({"sessions_last_period": high}))  # clamped
    assert f"{expected.value('churn_prob'):.1%}" in json.dumps(cards, cls=PlotlyJSONEncoder)
    assert "Visits in the last 20 days" in json.dumps(chips, cls=PlotlyJSONEncoder)
    assert len(figures) == len(graphs)
    assert all(isinstance(f, Patch) for f in figures[:-1])
    assert figures[-1] is callbacks.no_update  # a graph with no curve is left alone
    assert reasons is not None
    assert len(warnings) == len(graphs)
    # The curve output changed: whole figures, on a money axis for predicted revenue.
    _, _, whole, _, _ = callbacks.update_view(data, "predicted_revenue", moves, graphs, full=True)
    assert whole[0]["layout"]["yaxis"]["rangemode"] == "tozero"
    # A target that is not an output falls back to the default (churn, a share).
    _, _, fallback, _, _ = callbacks.update_view(data, {"x": 1}, moves, graphs, full=True)
    assert fallback[0]["layout"]["yaxis"]["tickformat"] == ".0%"


def test_update_view_refuses_forged_and_unknown_profiles(in_app):
    from dash.exceptions import PreventUpdate

    from dashboard.pages.whatif import callbacks

    for forged in ({"kind": "admin", "key": "1"}, {"kind": "customer", "key": 5}, "x", None):
        with pytest.raises(PreventUpdate):
            callbacks.update_view(forged, "churn_prob", [], [], full=False)
    alert, *rest = callbacks.update_view(
        {"kind": "customer", "key": "ghost"}, "churn_prob", [], ["cart_adds"], full=False
    )
    assert "no customer 'ghost'" in json.dumps(alert, cls=PlotlyJSONEncoder)
    assert rest == [
        callbacks.no_update,
        [callbacks.no_update],
        callbacks.no_update,
        [callbacks.no_update],
    ]


def test_moved_values_keep_numbers_inside_the_range(reader, engine):
    from dashboard.pages.whatif.callbacks import moved_values

    start = engine.default_profile(reader)
    levers = {lv.feature: lv for lv in engine.levers(start)}
    moved = moved_values(
        [
            ("cart_adds", -5),
            ("views", "DROP TABLE"),
            ("abandoned_carts", True),
            ("sessions_last_period", float("nan")),
            ("recency_days", 3),  # held, not a lever
            (None, 1),
        ],
        levers,
    )
    assert moved == {"cart_adds": 0.0}


def test_reset_values_are_the_starting_profile(in_app, reader, engine):
    from dashboard.pages.whatif.callbacks import reset_values

    start = engine.default_profile(reader)
    features = [lv.feature for lv in engine.levers(start)]
    data = {"kind": "customer", "key": start.key}
    assert reset_values(data, features) == [start.values[f] for f in features]


def test_pick_profile_checks_the_start_before_moving(in_app, reader, engine):
    from dash.exceptions import PreventUpdate

    from dashboard.pages.whatif.callbacks import no_update, pick_profile

    customer = engine.default_profile(reader).key
    href, message = pick_profile(ids.WI_CUSTOMER_GO, f" {customer} ", None, None)
    assert href == f"/what-if?customer={customer}" and message is None
    assert pick_profile(ids.WI_SEGMENT, None, "1", None)[0] == "/what-if?segment=1"
    for trigger, customer_box, session_box, said in (
        (ids.WI_CUSTOMER, "  ", None, "Enter a customer id."),
        (ids.WI_SESSION_GO, None, "x" * 500, "That is not a session id."),
        (ids.WI_CUSTOMER, "ghost", None, "no customer 'ghost' in this warehouse"),
    ):
        href, message = pick_profile(trigger, customer_box, None, session_box)
        assert href is no_update
        assert said in message.children
    with pytest.raises(PreventUpdate):
        pick_profile("something-else", customer, None, None)


@pytest.mark.parametrize(
    ("stored", "sentence"),
    [
        ("7 cart adds raised purchase chance", "7 cart adds raised the purchase chance."),
        (
            "a customer for 3 days lowered expected revenue",
            "Being a customer for 3 days lowered the expected revenue.",
        ),
        (
            "last seen 1 days ago raised churn risk",
            "Being last seen 1 day ago raised the churn risk.",
        ),
        (
            "1884 spent so far raised purchase chance",
            "1,884 spent so far raised the purchase chance.",
        ),
        (
            "returning visitor = 0 lowered conversion chance",
            "Not being a returning visitor lowered the conversion chance.",
        ),
        ("1 categories browsed raised churn risk", "1 category browsed raised the churn risk."),
        ("no further factor", "No further factor."),
    ],
)
def test_reasons_read_as_plain_sentences(stored, sentence):
    from analytics.whatif import plain_sentence

    assert plain_sentence(stored) == sentence


def test_cards_name_the_model_not_its_version(client, reader, engine):
    from analytics.whatif import model_name

    assert model_name("customer_churn.logistic_regression.0123456789") == "Logistic regression"
    assert (
        model_name("customer_churn.xgboost.0123456789 × customer_revenue.linear.9876543210")
        == "XGBoost × Ridge regression"
    )
    content = client.render("/what-if")
    prediction = engine.predict(engine.default_profile(reader))
    churn = prediction.estimates["churn_prob"]
    assert f"model: {model_name(churn.model_version)}" in content
    # The full version stays on hover, never as the visible (truncated) text.
    assert f'"title": "{churn.model_version}"' in content
    assert "text-truncate" not in content
