"""The schema and docs pages, loaded on first use: drf-spectacular's generator (and what it pulls
in) stays out of web workers that never serve them."""

from django.views.decorators.csrf import csrf_exempt

# What the served schema (and `manage.py spectacular --custom-settings
# config.openapi_views.OPENAPI_SETTINGS`) adds to SPECTACULAR_SETTINGS: request bodies get their
# own components, so required text says minLength 1 (the server refuses blank text) while
# responses stay free to carry empty strings. The sync hook adds what serializers cannot say (the
# event item schemas, additionalProperties: false on strict inputs); it is named, not imported.
OPENAPI_SETTINGS = {
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "sync.openapi.postprocess"],
}


@csrf_exempt
def schema_view(request, *args, **kwargs):
    from drf_spectacular.views import SpectacularAPIView

    view = SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[],
                                      custom_settings=OPENAPI_SETTINGS)
    return view(request, *args, **kwargs)


@csrf_exempt
def docs_view(request, *args, **kwargs):
    from drf_spectacular.views import SpectacularRedocView

    view = SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html",
                                        authentication_classes=[], permission_classes=[])
    return view(request, *args, **kwargs)
