from .selectors import navigation_for


def portal(request):
    entry = getattr(request, "tenant_entry", None)
    user = getattr(request, "user", None)
    navigation = navigation_for(user=user) if entry is not None and user is not None and user.is_authenticated else []
    return {"current_tenant": entry.tenant if entry else None, "navigation": navigation}
