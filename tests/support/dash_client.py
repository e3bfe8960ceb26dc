"""Driving a Dash app through its HTTP endpoints, as a browser would, without a browser."""

from __future__ import annotations

import json
from typing import Any

import dash


class DashClient:
    """Calls callbacks of ``app`` by POSTing to ``/_dash-update-component``."""

    def __init__(self, app: dash.Dash) -> None:
        self.app = app
        self.http = app.server.test_client()
        self._dependencies: list[dict[str, Any]] | None = None

    @property
    def dependencies(self) -> list[dict[str, Any]]:
        """The callback graph, as the browser gets it (or from the app when signed out)."""
        if self._dependencies is None:
            response = self.http.get("/_dash-dependencies")
            if response.status_code == 200:
                self._dependencies = response.json
            else:
                return list(self.app._callback_list)
        return self._dependencies

    def callback(self, output_fragment: str) -> dict[str, Any]:
        matches = [d for d in self.dependencies if output_fragment in d["output"]]
        assert matches, f"no callback writes {output_fragment}"
        return matches[0]

    def call(
        self,
        output_fragment: str,
        inputs: dict[str, Any],
        state: dict[str, Any] | None = None,
        triggered: str | None = None,
    ) -> tuple[int, Any]:
        """Call the callback whose output contains ``output_fragment``.

        ``inputs`` / ``state`` map ``"id.property"`` (or a JSON id) to values; missing ones are
        sent as None. Returns (status code, decoded response or None).
        """
        dep = self.callback(output_fragment)
        state = state or {}

        def spec(item: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
            key = f"{item['id']}.{item['property']}"
            return {
                "id": _decode(item["id"]),
                "property": item["property"],
                "value": values.get(key),
            }

        outputs = [
            {"id": _decode(o.split(".")[0]), "property": o.split(".")[-1]}
            for o in _split_outputs(dep["output"])
        ]
        payload = {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [spec(i, inputs) for i in dep["inputs"]],
            "state": [spec(s, state) for s in dep["state"]],
            "changedPropIds": [triggered or next(iter(inputs))],
        }
        response = self.http.post("/_dash-update-component", json=payload)
        body = response.get_json(silent=True) if response.status_code == 200 else None
        return response.status_code, body

    def render(self, path: str, search: str = "") -> str:
        """The page content the pages router returns for a URL, as JSON text."""
        status, body = self.call(
            "_pages_content.children",
            {"_pages_location.pathname": path, "_pages_location.search": search},
        )
        assert status == 200, f"{path}{search}: HTTP {status}"
        return json.dumps(body)


def _split_outputs(output: str) -> list[str]:
    if output.startswith(".."):
        return [o for o in output.strip(".").split("...") if o]
    return [output]


def _decode(component_id: str) -> Any:
    if component_id.startswith("{"):
        return json.loads(component_id)
    return component_id
