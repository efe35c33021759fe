"""The schema and docs pages, loaded on first use: drf-spectacular's generator (and what it pulls
in) stays out of web workers that never serve them."""

from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def schema_view(request, *args, **kwargs):
    from drf_spectacular.views import SpectacularAPIView

    return SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[])(request, *args, **kwargs)


@csrf_exempt
def docs_view(request, *args, **kwargs):
    from drf_spectacular.views import SpectacularRedocView

    view = SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html",
                                        authentication_classes=[], permission_classes=[])
    return view(request, *args, **kwargs)
