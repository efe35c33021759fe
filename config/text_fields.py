"""Text input fields every API serializer uses: a string must come as a JSON string (DRF's
CharField would store the number 0 as "0"), and required text holds more than white space (the
schema says so with the pattern ``\\S``, which drf-spectacular reads off the validator)."""

from django.core.validators import RegexValidator
from rest_framework import serializers

NOT_BLANK = RegexValidator(r"\S", message="This field may not be blank.")


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Send text as a JSON string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
