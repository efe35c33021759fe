"""Alert fixtures: the sync fixtures (a route, pushing and processing batches) reused."""

from tests.sync.conftest import operator_tokens, push, push_and_process, route  # noqa: F401
