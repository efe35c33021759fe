"""Operations tests (API.md section 12): the sync fixtures, to give the metrics something to count."""

from tests.sync.conftest import operator_tokens, push, push_and_process, route  # noqa: F401
from tests.e2e.conftest import e2e_tenant  # noqa: F401
