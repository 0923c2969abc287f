"""The web UI's pages: static templates plus the limits in force. Never changes state."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from sharing.services import public_limits


@require_safe
def create_page(request):
    return render(request, "index.html", {"limits": public_limits()})


@require_safe
def reveal_page(request, secret_id: str):
    # Opening a link only shows the form: link previewers must not burn secrets.
    return render(request, "secret.html", {"limits": public_limits(), "secret_id": secret_id})
