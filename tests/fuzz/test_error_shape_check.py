"""The fuzz run's own check (every error in the API.md section 1 shape) refuses other shapes."""

import pytest

from tests.fuzz.test_schema_fuzz import error_shape


class Answer:
    def __init__(self, status_code, body):
        self.status_code, self._body = status_code, body

    def json(self):
        return self._body


@pytest.mark.parametrize("body", [
    {"detail": "Not found."},
    {"error": {"code": "not_found", "message": "Not found."}},
    {"error": {"code": "invalid_request", "message": "x", "details": {"name": "not a list"}}},
    {"error": {"code": "", "message": "x", "details": {}}, "trace": "..."},
])
def test_an_error_in_another_shape_fails_the_check(body):
    with pytest.raises(AssertionError):
        error_shape(None, Answer(400, body), None)


def test_an_error_in_the_contract_shape_and_a_success_pass():
    error_shape(None, Answer(404, {"error": {"code": "not_found", "message": "No such well.", "details": {}}}), None)
    error_shape(None, Answer(200, ["anything"]), None)
