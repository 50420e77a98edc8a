"""A received donation's receipt: rendered through `documents`, sealed through `signing` with
the organization's own identity (PAdES, timestamped), once per donation; then emailed to the
donor when their address is known.

The receipt is bilingual (Chinese, then English), whatever its donor's language. It names the
donor even when they asked to stay anonymous on the public pages: it is theirs.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

import audit.services as audit
from accounts import services as accounts_services
from documents.models import Document
from documents.rendering import render_stamp
from documents.services import document_code_new
from signing import services as signing_services
from signing.services import SignatureBox

from ..models import Channel, Donation
from . import DONATION_RECEIPT

# The receipt is bilingual, whatever its donor's language.
LANGUAGES = ("zh-hans", "en")
# Beside the heading, on the first page: its place is known before the rest is laid out, so
# a long description of a gift in kind (which may run onto a second page) never moves it.
STAMP = SignatureBox("organization", 100, 0, 70, 26)
ERROR_LENGTH = 300

LABELS = {
    "heading": _("Donation receipt"),
    "number": _("Receipt number"),
    "donor": _("Donor"),
    "organization": _("Organization"),
    "project": _("Donation project"),
    "amount": _("Amount"),
    "channel": _("Channel"),
    "in_kind": _("What was given, and how it was valued"),
    "received_on": _("Date received"),
    "reference": _("Reference"),
    "statement": _(
        "The organization confirms that it received this donation for the project above and "
        "signs this receipt electronically."
    ),
    "anonymous_donor": _("Anonymous donor"),
}


def _both(text: Any) -> list[str]:
    """`text` in each of the receipt's languages."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(str(text))
    return out


def receipt_context(donation: Donation) -> dict[str, Any]:
    labels = {key: _both(label) for key, label in LABELS.items()}
    return {
        "labels": labels,
        "receipt_number": donation.receipt_number,
        "donor_name": donation.donor_name or " / ".join(labels["anonymous_donor"]),
        "organization_name": donation.organization.name,
        "project_title": donation.project.title,
        # Always two places: "¥100.00", as the money was counted.
        "amount": f"{donation.amount:.2f}",
        "channel": _both(Channel(donation.channel).label),
        "in_kind_description": donation.in_kind_description,
        "received_on": donation.received_on,
        "reference": donation.reference,
        "stamp": STAMP,
    }


def _language(donation: Donation) -> str:
    person = donation.pledged_by
    return (person.preferred_language if person is not None else "") or LANGUAGES[0]


def receipt_issue(
    donation_id: int, *, on_issued: Callable[[Donation], None] | None = None
) -> Document | None:
    """Issue `donation_id`'s receipt, once: the donation's row is locked while the receipt is
    rendered, sealed and stored, so a second delivery of the same work waits, then finds it
    and returns it unchanged. A donation not received (pledged, withdrawn) or void before its
    receipt was issued gets none (None).

    Once stored: the audit row, the pledger told, and `on_issued(donation)` (the caller's
    way to email it after the commit). A failure rolls back and is raised to the caller,
    which keeps it on the donation (`receipt_failed`)."""
    with transaction.atomic(), audit.batched():
        donation = (
            Donation.objects.select_for_update(of=("self",))
            .select_related("project", "organization", "pledged_by", "receipt")
            .get(pk=donation_id)
        )
        if donation.receipt_id is not None:
            return donation.receipt
        if donation.status != Donation.Status.CONFIRMED:
            return None
        organization = donation.organization
        language = _language(donation)
        with translation.override(language):
            title = str(
                _("Donation receipt %(number)s: %(project)s")
                % {"number": donation.receipt_number, "project": donation.project.title}
            )
            reason = str(
                _("Donation received by %(organization)s") % {"organization": organization.name}
            )
        document = signing_services.document_render_sealed(
            owner=donation,
            kind=DONATION_RECEIPT,
            title=title[:200],
            template_name="pdf/donation_receipt.html",
            context=receipt_context(donation),
            language=language,
            field_name=STAMP.field,
            reason=reason,
            signer_label=organization.name[:100],
            stamp_background=render_stamp(
                lines=[organization.name, *_both(_("Donation received"))],
                width_mm=STAMP.width_mm,
                height_mm=STAMP.height_mm,
            ),
            fields_to_create=lambda page_count: (STAMP.field_on(0),),
            issuer=organization,
            document_code=document_code_new(),
            after_version=0,
        )
        donation.receipt = document
        donation.receipt_error = ""
        donation.save(update_fields=["receipt", "receipt_error"])
        audit.record(
            action="donation.receipt_issued",
            actor=None,
            target=donation,
            payload={
                "project_id": donation.project_id,
                "receipt_number": donation.receipt_number,
                "amount": str(donation.amount),
                "document_id": document.pk,
            },
        )
        if donation.pledged_by is not None:
            accounts_services.notify(
                recipient=donation.pledged_by,
                subject=_("Your donation receipt %(number)s"),
                body=_("Your receipt for ¥%(amount)s to “%(title)s” is ready."),
                params={
                    "number": donation.receipt_number,
                    "amount": donation.amount,
                    "title": donation.project.title,
                },
                url=reverse("donations:mine"),
            )
        if on_issued is not None:
            on_issued(donation)
        return document


def receipt_failed(donation_id: int, error: BaseException) -> None:
    """Keep why `donation_id`'s receipt could not be issued, for the organization's list (its
    own transaction: the issue's rolled back)."""
    message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(pk=donation_id)
        if donation.receipt_id is None:
            donation.receipt_error = message
            donation.save(update_fields=["receipt_error"])


EMAIL_SUBJECT = _("Your donation receipt %(number)s")
EMAIL_BODY = _(
    "Thank you for your donation of ¥%(amount)s to “%(project)s” (%(organization)s).\n\n"
    "Your receipt %(number)s is attached, signed by the organization. Anyone can check it "
    "at %(url)s"
)


def receipt_email_send(donation_id: int) -> bool:
    """Email the receipt, attached, to the donor's address (in both languages). Nothing to
    send (no address, no receipt yet): False. Runs outside any transaction: the receipt is
    stored before the mail leaves, and a refused mail is raised to the caller."""
    donation = (
        Donation.objects.select_related("project", "organization", "receipt")
        .filter(pk=donation_id)
        .first()
    )
    if donation is None or not donation.donor_email or donation.receipt is None:
        return False
    receipt = donation.receipt
    code = receipt.document_code or receipt.verification_code
    params = {
        "amount": f"{donation.amount:.2f}",
        "project": donation.project.title,
        "organization": donation.organization.name,
        "number": donation.receipt_number,
        "url": settings.ACCORD_PUBLIC_URL.rstrip("/")
        + reverse("signing:verify_document", args=[code]),
    }
    subjects = [text % params for text in _both(EMAIL_SUBJECT)]
    bodies = [text % params for text in _both(EMAIL_BODY)]
    with receipt.file.open("rb") as stored:
        pdf = stored.read()
    message = EmailMessage(
        subject=f"[Accord] {subjects[0]} / {subjects[1]}",
        body="\n\n---\n\n".join(bodies) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[donation.donor_email],
    )
    message.attach(f"receipt-{donation.receipt_number or donation.pk}.pdf", pdf, "application/pdf")
    message.send()
    return True
