"""The dashboard's organisation page over pulled Usage/Costs data (`openai_cost.org`).

Uses the organisation tests' fake admin server and their hand-computed dollars (see
`test_org`): the page must show exactly what `org.report` and `org.reconcile` compute.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fake_admin_server import ADMIN_KEY
from openai_cost import org
from openai_cost.dashboard.app import create_app
from openai_cost.ledger import Ledger
from test_org import A_USD, B_USD, C_USD, CALLS, D14, D16, D_USD, E_USD, FakeAdmin, pulled, track


def test_org_page_shows_spend_by_project_key_user_and_the_reconciliation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ADMIN_KEY", ADMIN_KEY)
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    track(url, CALLS[:3])  # A, B, C tracked; D and E only seen by the Usage API
    pulled(url, FakeAdmin(CALLS))
    ledger = Ledger(url, read_only=True)
    try:
        now = datetime(2026, 7, 20, 12, tzinfo=timezone.utc)
        c = TestClient(create_app(ledger, clock=lambda: now))
        params = {"since": D14.isoformat(), "until": D16.isoformat()}
        data = c.get("/api/org", params=params).json()
        assert data["available"] is True
        projects = {r["group"]: Decimal(r["usage_usd"]) for r in data["reports"]["project"]["rows"]}
        # hand-computed in test_org: alpha = A + D + E, beta = B + C
        assert projects == {"proj_alpha": A_USD + D_USD + E_USD, "proj_beta": B_USD + C_USD}
        keys = {r["group"]: Decimal(r["usage_usd"]) for r in data["reports"]["api_key"]["rows"]}
        assert keys == {"key_a": A_USD + D_USD, "key_b": B_USD + C_USD, "key_c": E_USD}
        users = {r["group"]: Decimal(r["usage_usd"]) for r in data["reports"]["user"]["rows"]}
        assert users == {"user_1": A_USD + D_USD + E_USD, "user_2": B_USD, "(none)": C_USD}
        rec = org.reconcile(url, since=D14, until=D16)
        assert data["reconciliation"] == rec.to_dict()
        page = c.get("/org", params=params)
        assert page.status_code == 200
        assert f'data-usd="{rec.tracked_usd}"' in page.text
        assert "proj_alpha" in page.text and "key_c" in page.text and "user_2" in page.text
        assert "untracked" in page.text  # D and E were never tracked: a finding says so
        # a window with nothing pulled says how to pull
        empty = c.get("/org", params={"since": "2026-06-01", "until": "2026-06-30"})
        assert "openai-cost org pull" in empty.text
    finally:
        ledger.close()
