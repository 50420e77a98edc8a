from django.contrib import admin

from .models import CertificateRevocationList, SignatureRecord, SigningIdentity


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: identities, CRLs and signature records change only through the services
    (`init_pki`, `identity_for_owner`, `revoke_identity`, the signing services)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SigningIdentity)
class SigningIdentityAdmin(ReadOnlyAdmin):
    list_display = ("common_name", "kind", "serial", "not_after", "revoked_at", "created_at")
    list_filter = ("kind", "revocation_reason")
    search_fields = ("common_name", "serial", "owner_id")
    # Never the (encrypted) private key.
    fields = (
        "kind",
        "common_name",
        "owner_type",
        "owner_id",
        "serial",
        "not_before",
        "not_after",
        "revoked_at",
        "revocation_reason",
        "certificate_pem",
        "created_at",
    )


@admin.register(CertificateRevocationList)
class CertificateRevocationListAdmin(ReadOnlyAdmin):
    list_display = ("number", "this_update", "next_update")
    fields = ("number", "this_update", "next_update")


@admin.register(SignatureRecord)
class SignatureRecordAdmin(ReadOnlyAdmin):
    list_display = ("document", "field_name", "identity", "user", "role_label", "signed_at")
    list_select_related = ("document", "identity", "user")
    search_fields = ("field_name", "identity__common_name", "document__verification_code")
