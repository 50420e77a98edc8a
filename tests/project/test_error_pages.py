"""What a person sees when Accord cannot read a request: a plain page in both languages, never
Django's bare "Bad Request (400)"."""

import pytest


@pytest.mark.django_db
def test_an_address_too_long_to_send_back_to_after_login_answers_a_bilingual_400(client):
    # The log-in redirect would carry the whole address in ?next=, which Django refuses to
    # send back past 16,384 characters (DisallowedRedirect).
    response = client.get("/activities/manage/", {"q": "清" * 20_000})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Bad request" in text
    assert "请求无法处理" in text
    assert "go back and try again" in text
    assert "Traceback" not in text


@pytest.mark.django_db
def test_a_host_accord_does_not_serve_answers_the_same_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
