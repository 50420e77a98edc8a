"""The profile page and the forgotten-password emails."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import services
from accounts.models import User
from audit.models import AuditEvent
from tests.factories import UserFactory


@pytest.fixture
def person(db):
    return UserFactory(username="lihua", email="lihua@example.org", phone="")


def profile_data(**overrides):
    data = {
        "display_name": "李华",
        "email": "LiHua@Example.org",
        "phone": "+86 138-0000-0000",
        "preferred_language": "zh-hans",
        "notification_email": "each",
    }
    data.update(overrides)
    return data


def test_a_person_edits_their_profile_and_the_change_is_audited(client, person):
    client.force_login(person)
    response = client.post(reverse("accounts:profile"), profile_data())
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.display_name, person.email, person.phone, person.preferred_language) == (
        "李华",
        "lihua@example.org",
        "+86 138-0000-0000",
        "zh-hans",
    )
    event = AuditEvent.objects.get(action="profile.updated")
    assert (event.actor, event.target_id) == (person, str(person.pk))
    assert event.payload["fields"] == ["display_name", "phone", "preferred_language"]
    # The pages now speak the chosen language.
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "个人资料" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "call me", "Enter a phone number"),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "taken@example.org", "An account with this email already exists."),
    ],
)
def test_bad_profile_input_is_refused_on_its_field_and_kept(client, person, field, value, message):
    UserFactory(username="other", email="taken@example.org")
    client.force_login(person)
    response = client.post(reverse("accounts:profile"), profile_data(**{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'value="{value}"' in page
    person.refresh_from_db()
    assert person.display_name == "Lihua"
    assert not AuditEvent.objects.filter(action="profile.updated").exists()


def test_nobody_edits_someone_elses_profile(person):
    other = UserFactory(username="other")
    with pytest.raises(PermissionDenied):
        services.user_profile_update(user_id=person.pk, actor=other, **profile_data())
    assert User.objects.get(pk=person.pk).display_name == "Lihua"


def test_the_header_links_the_profile(client, person):
    client.force_login(person)
    assert reverse("accounts:profile") in client.get(reverse("home")).content.decode()


def test_a_forgotten_password_is_reset_through_an_emailed_link_in_the_persons_language(
    client, person, mailoutbox, settings
):
    settings.ACCORD_PUBLIC_URL = "https://accord.example.org"
    person.preferred_language = "zh-hans"
    person.save()
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password_reset") in login_page

    response = client.post(reverse("accounts:password_reset"), {"email": "lihua@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    (mail,) = mailoutbox
    assert mail.subject == "设置新的 Accord 密码"
    assert "您的用户名是 lihua。" in mail.body
    link = re.search(r"https://accord\.example\.org(/accounts/password/reset/\S+/)", mail.body)
    assert link is not None

    form = client.get(link.group(1), follow=True)
    assert "new_password1" in form.content.decode()
    new = "a-new-long-passphrase-2026"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("accounts:password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(new)
    assert AuditEvent.objects.get(action="auth.password_reset").actor == person


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, db, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []
