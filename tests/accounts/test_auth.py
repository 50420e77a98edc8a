"""Signing up, in and out through the real pages: each is audited with actor and address."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from tests.factories import UserFactory

IP = "203.0.113.9"
OTHER_IP = "198.51.100.20"


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


@pytest.fixture
def member(db) -> User:
    return UserFactory(username="member")


def log_in(client, username: str, password: str, ip: str = IP):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_is_audited_with_actor_and_address(client, member, password):
    response = log_in(client, "member", password)

    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert actions() == ["auth.login"]
    event = AuditEvent.objects.get()
    assert event.actor == member
    assert event.ip_address == IP


def test_failed_login_is_audited_with_the_username_tried(client, member):
    response = log_in(client, "member", "wrong-password")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert actions() == ["auth.login_failed"]
    event = AuditEvent.objects.get()
    assert event.actor is None
    assert event.payload == {"username": "member"}
    assert event.ip_address == IP


def test_logout_is_audited(client, member):
    client.force_login(member)

    response = client.post(reverse("accounts:logout"), REMOTE_ADDR=IP)

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.logout")
    assert event.actor == member
    assert event.ip_address == IP


def test_logout_by_get_is_refused(client, member):
    client.force_login(member)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.session["_auth_user_id"] == str(member.pk)


def signup_data(**overrides) -> dict:
    data = {
        "username": "newcomer",
        "display_name": "New Comer",
        "email": "newcomer@example.org",
        "preferred_language": "en",
        "password1": "a-long-unusual-passphrase-42",
        "password2": "a-long-unusual-passphrase-42",
    }
    data.update(overrides)
    return data


def test_sign_up_creates_an_argon2_user_signs_them_in_and_is_audited(client, db):
    response = client.post(reverse("accounts:signup"), signup_data(), REMOTE_ADDR=IP)

    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.password.startswith("argon2$")
    assert user.check_password("a-long-unusual-passphrase-42")
    assert client.session["_auth_user_id"] == str(user.pk)
    signed_up = AuditEvent.objects.get(action="auth.signed_up")
    assert signed_up.actor == user
    assert signed_up.ip_address == IP
    assert actions() == ["auth.signed_up", "auth.login"]


def test_sign_up_refuses_an_email_already_in_use(client, member):
    response = client.post(
        reverse("accounts:signup"), signup_data(email=member.email.upper()), REMOTE_ADDR=IP
    )

    assert response.status_code == 200
    assert "An account with this email already exists." in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()
    assert actions() == []


def test_password_change_requires_the_old_password(client, member, password):
    client.force_login(member)
    new = "another-long-passphrase-77"

    refused = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-my-password", "new_password1": new, "new_password2": new},
    )
    assert refused.status_code == 200
    assert "Your old password was entered incorrectly." in refused.content.decode()
    member.refresh_from_db()
    assert member.check_password(password)

    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": new, "new_password2": new},
    )
    assert done["Location"] == reverse("accounts:password_change_done")
    member.refresh_from_db()
    assert member.check_password(new)
    assert member.password.startswith("argon2$")
    # The session survives its own password change.
    assert client.get(reverse("accounts:password_change_done")).status_code == 200


def test_repeated_failures_lock_the_username_from_that_address_only(client, member, password):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "member", "wrong-password")

    locked = log_in(client, "member", password)

    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    locked_out = AuditEvent.objects.filter(action="auth.locked_out")
    assert locked_out.exists()
    assert {e.ip_address for e in locked_out} == {IP}
    assert {e.payload["username"] for e in locked_out} == {"member"}

    from_elsewhere = log_in(client, "member", password, ip=OTHER_IP)

    assert from_elsewhere.status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)


def test_failures_below_the_limit_do_not_lock(client, member, password):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "member", "wrong-password")

    assert log_in(client, "member", password).status_code == 302
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()


@pytest.mark.parametrize("path", ["/inbox/", "/onboarding/", "/accounts/notifications/"])
def test_private_pages_send_anonymous_visitors_to_the_login_page(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={path}"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/"])
def test_public_pages_are_open_to_anonymous_visitors(client, db, path):
    assert client.get(path).status_code == 200


def test_anonymous_visitors_can_switch_the_language(client, db):
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_sign_up_refuses_a_display_name_no_pdf_can_print(client, db):
    response = client.post(
        reverse("accounts:signup"), signup_data(display_name="New\ue000Comer"), REMOTE_ADDR=IP
    )

    assert response.status_code == 200
    assert "Remove the characters that cannot be shown or printed" in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_behind_a_proxy_lock_outs_follow_the_forwarded_client_address(
    client, member, password, settings
):
    settings.ACCORD_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"

    def via_proxy(ip: str, secret: str):
        return client.post(
            reverse("accounts:login"),
            {"username": "member", "password": secret},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"{OTHER_IP}, {ip}",
        )

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        via_proxy(IP, "wrong-password")

    assert via_proxy(IP, password).status_code == 429
    assert {e.ip_address for e in AuditEvent.objects.filter(action="auth.locked_out")} == {IP}
    # Another client behind the same proxy is not locked out with the first.
    assert via_proxy(OTHER_IP, password).status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
