import pytest

from tests.conftest import platform_pki


@pytest.fixture(autouse=True)
def _platform_pki(request):
    # Process steps produce signed documents (approval letters, agreements, notices).
    platform_pki(request)
