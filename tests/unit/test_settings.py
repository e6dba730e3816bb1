"""Settings refuse dev secrets in production."""

import pytest
from pydantic import ValidationError

from tandem_shared.settings import ServiceSettings


def test_production_refuses_the_dev_operator_key():
    with pytest.raises(ValidationError, match="operator key"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="production", operator_key="a-real-secret-key").operator_key


def test_dev_accepts_the_dev_operator_key():
    assert ServiceSettings().operator_key == "dev-operator-key"
