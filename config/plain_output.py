"""Output serializers of plain fields, each one attribute (or key) of the object it shows.

Django REST framework's ``Serializer.to_representation`` copies the class's declared fields for
every serializer it makes (``Serializer.fields``: a deep copy of each field, for every well's
detail, every page of a list) and then goes through each field's ``get_attribute``. A page of 50
wells spent more time there than in its two queries. ``PlainOutput`` gives the same output from
a plan made once per class: (output name, attribute, the field's ``to_representation``) for each
field, read straight off the object. Anything the plan does not cover exactly (a missing
attribute, a callable, a related object that does not exist) is handed to DRF's own
``to_representation`` for that object, and a field the plan cannot serve at all (a dotted or
``*`` source, a nested serializer, a related or method field, a default) is refused with a
TypeError on the class's first use, so the plan never silently differs from DRF.
tests/config/test_plain_output.py compares both on every PlainOutput serializer.

Schema generation (drf-spectacular) and everything else still see ordinary DRF fields.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import ManyRelatedField, RelatedField


class PlainOutput(serializers.Serializer):
    """An output serializer whose fields each show one attribute of the object, as is."""

    def to_representation(self, instance):
        plan = _plan(type(self))
        read = instance.__getitem__ if isinstance(instance, Mapping) else functools.partial(getattr, instance)
        shown = {}
        try:
            for name, source, represent in plan:
                value = read(source)
                if value is None:
                    shown[name] = None
                elif callable(value):  # DRF calls it: its own path decides
                    return super().to_representation(instance)
                else:
                    shown[name] = represent(value)
        except (KeyError, AttributeError, ObjectDoesNotExist):  # DRF's defaults, nulls and skips
            return super().to_representation(instance)
        return shown


@functools.cache
def _plan(serializer_class: type[PlainOutput]) -> tuple[tuple[str, str, object], ...]:
    template = serializer_class()  # bound fields, made once; their to_representation reads no request
    plan = []
    for name, field in template.fields.items():
        if field.write_only:
            continue
        refused = None
        if isinstance(field, (serializers.BaseSerializer, RelatedField, ManyRelatedField)):
            refused = "a nested serializer or a related field"
        elif isinstance(field, (serializers.SerializerMethodField, serializers.HiddenField)):
            refused = f"a {type(field).__name__}"
        elif field.source == "*" or len(field.source_attrs) != 1:
            refused = f"the source {field.source!r} (one attribute only)"
        elif field.default is not empty:
            refused = "a default"
        if refused:
            raise TypeError(f"{serializer_class.__name__}.{name}: PlainOutput cannot show {refused}; "
                            "derive from serializers.Serializer instead")
        plan.append((name, field.source, field.to_representation))
    return tuple(plan)
