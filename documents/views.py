from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

import audit.services as audit

from . import access
from .models import Document


@require_GET
def document_file(request: HttpRequest, pk: int) -> FileResponse:
    """Stream a stored PDF to someone the owner's registered policy lets read it.

    Missing and not allowed answer the same 404, so the existence of a document is not given
    away; a refusal is audited.
    """
    document = get_object_or_404(Document.objects.select_related("owner_type"), pk=pk)
    if not access.can_read(request.user, document):
        audit.record_denial(
            reason="not_visible",
            target=document,
            payload={"document_id": document.pk},
            request=request,
        )
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.file_name,
        content_type="application/pdf",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
