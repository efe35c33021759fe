"""The portal's CSV upload (API.md section 16), MANAGER and ADMIN: choose what the file holds and
the file; a preview lists what would be created, what updated (each changed field, old and new)
and every row's errors, and writes nothing; a confirm button then applies exactly that preview.

The uploaded bytes wait in the cache (Redis) under a random single-use token bound to the tenant
and the user, with the preview's digest (wells.imports.ImportPlan.digest). Confirming takes the
token out of the cache (a second confirm finds nothing), runs the import with that digest and,
should the rows now do anything else (someone changed a well meanwhile), writes nothing and shows
the new preview to confirm instead."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from config.middleware import BodyLimit

from . import imports

PENDING_SECONDS = 30 * 60
PREVIEW_ROWS = 200  # rows listed per section of a preview; the counts are always whole
_PERMISSIONS = {"wells": ("wells.add_well", "wells.change_well"),
                "equipment": ("wells.add_equipment", "wells.change_equipment"),
                "tanks": ("wells.add_tank", "wells.change_tank")}
_DONE_URL = {"wells": "wells:list", "equipment": "wells:list", "tanks": "wells:leases"}
_KIND_WORDS = {"wells": "Wells", "equipment": "Equipment", "tanks": "Tanks (strapping tables separately)"}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, _KIND_WORDS[k]) for k in imports.KINDS], label="The file holds")
    file = forms.FileField(label="CSV file", help_text="UTF-8, first row the column names, at most 10 MiB.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(f"The file is {upload.size:,} bytes; an import file may be at most "
                                        f"{imports.MAX_BYTES:,} bytes (10 MiB).")
        return upload


def _cache_key(request, token: str) -> str:
    return f"wells-import:{request.tenant_entry.public_id}:{request.user.pk}:{token}"


def _may_import(user, kind: str) -> bool:
    return user.has_perms(_PERMISSIONS[kind])


def _columns() -> list[dict]:
    return [{"kind": k, "words": _KIND_WORDS[k], "columns": spec.columns, "keys": spec.key_columns}
            for k, spec in imports.KINDS.items()]


def _preview(request, *, kind: str, raw: bytes, plan: imports.ImportPlan, stale: bool = False):
    token = secrets.token_urlsafe(24)
    cache.set(_cache_key(request, token), {"kind": kind, "raw": raw, "digest": plan.digest}, PENDING_SECONDS)
    sections = []
    for action, title in (("create", "To be created"), ("update", "To be updated")):
        rows = [row for row in plan.rows if row.action == action]
        sections.append({"action": action, "title": title, "count": len(rows), "rows": rows[:PREVIEW_ROWS],
                         "more": max(0, len(rows) - PREVIEW_ROWS)})
    return render(request, "wells/imports.html", {
        "form": UploadForm(initial={"kind": kind}), "kinds": _columns(), "kind": kind, "kind_words": _KIND_WORDS[kind],
        "plan": plan, "result": plan.result(), "sections": sections, "token": token, "stale": stale,
        "anything": any(row.action != "unchanged" for row in plan.rows),
    })


def _errors(request, *, kind: str, exc: imports.ImportInvalid, form=None, status: int = 400):
    rows = []
    for name, problems in exc.details.items():
        where = name.removeprefix("row ") if name.startswith("row ") else name.capitalize()
        if isinstance(problems, dict):
            rows += [{"where": where, "column": column, "messages": messages_} for column, messages_ in problems.items()]
        else:
            rows.append({"where": where, "column": "", "messages": problems})
    return render(request, "wells/imports.html", {
        "form": form or UploadForm(initial={"kind": kind}), "kinds": _columns(), "kind": kind,
        "kind_words": _KIND_WORDS.get(kind, kind), "invalid": exc.message, "error_rows": rows,
    }, status=status)


@login_required
@permission_required("wells.add_well", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_upload_view(request):
    """GET: the form. POST: the preview of the file (nothing written)."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "wells/imports.html", {"form": form, "kinds": _columns()},
                      status=400 if request.method == "POST" else 200)
    kind = form.cleaned_data["kind"]
    if not _may_import(request.user, kind):
        raise PermissionDenied
    raw = form.cleaned_data["file"].read()
    try:
        plan = imports.import_run(kind=kind, raw=raw, actor=request.user, dry_run=True)
    except imports.ImportInvalid as exc:
        return _errors(request, kind=kind, exc=exc, form=UploadForm(initial={"kind": kind}))
    return _preview(request, kind=kind, raw=raw, plan=plan)


# The file may be 10 MiB; the form's other fields and the multipart framing take a little more.
import_upload_view.body_limit = BodyLimit(imports.MAX_BYTES + 64 * 1024,
                                          message="An import file may be at most 10 MiB.")


@login_required
@permission_required("wells.add_well", raise_exception=True)
@require_POST
def import_confirm_view(request):
    """Apply the preview held under the posted token, exactly as previewed, once."""
    token = request.POST.get("token", "")
    key = _cache_key(request, token) if token and len(token) <= 64 else ""
    pending = cache.get(key) if key else None
    if pending is None or not cache.delete(key):
        messages.error(request, "This preview has expired or was already applied; upload the file again.")
        return redirect(reverse("wells:imports"))
    kind = pending["kind"]
    if not _may_import(request.user, kind):
        raise PermissionDenied
    try:
        plan = imports.import_run(kind=kind, raw=pending["raw"], actor=request.user,
                                  expected_digest=pending["digest"])
    except imports.ImportStale as exc:
        return _preview(request, kind=kind, raw=pending["raw"], plan=exc.plan, stale=True)
    except imports.ImportInvalid as exc:
        return _errors(request, kind=kind, exc=exc, status=409)
    result = plan.result()
    messages.success(request, f"Import of {kind} done: {result['created']} created, {result['updated']} updated, "
                              f"{result['unchanged']} unchanged.")
    return redirect(reverse(_DONE_URL[kind]))
