"""A stored result's report: read from the organization's own data only.

What the report shows is tested on results built in memory: tests/unit/test_report_content.py.
"""

from __future__ import annotations

import pytest

from panelist.core.errors import NotFound
from panelist.reports import i18n
from panelist.reports.result import result_html
from tests.functions.reports_data import make_result
from tests.unit.reports_data import fake_file_links

BASE = "https://panelist.test"


@pytest.fixture(autouse=True)
def fake_links(monkeypatch):
    fake_file_links(monkeypatch, base_url=BASE)


def test_result_html_reads_the_organizations_session_only(tenant_a, tenant_b):
    session = make_result(tenant_a.id)
    html = result_html(tenant_a.id, session.id, base_url=BASE)
    assert "Ada Okafor" in html
    assert f'lang="{i18n.language(session.language).locale.replace("_", "-")}"' in html
    with pytest.raises(NotFound):
        result_html(tenant_b.id, session.id, base_url=BASE)
