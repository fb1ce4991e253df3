import pytest

from panelist.core.errors import ConfigurationError
from panelist.core.settings import get_settings


def test_missing_environment_fails_naming_every_variable(monkeypatch):
    monkeypatch.delenv("PANELIST_TABLE")
    monkeypatch.setenv("PANELIST_AI_PROVIDER", "gpt")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="PANELIST_TABLE") as caught:
            get_settings()
        assert "PANELIST_AI_PROVIDER" in str(caught.value)
    finally:
        get_settings.cache_clear()
