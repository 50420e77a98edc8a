"""What every page inherits from templates/base.html for keyboard and screen-reader users."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "skip", "main_menu", "user_menu"),
    [
        ("en", "Skip to content", "Main menu", "User menu"),
        ("zh-hans", "跳到正文", "主菜单", "用户菜单"),
    ],
)
def test_every_page_has_a_skip_link_and_named_navigation_landmarks(
    client, language, skip, main_menu, user_menu
):
    page = client.get("/accounts/login/", headers={"accept-language": language}).content.decode()
    assert f'<a class="skip-link" href="#content">{skip}</a>' in page
    assert '<main id="content" tabindex="-1">' in page
    assert f'<nav class="main" aria-label="{main_menu}">' in page
    assert f'<nav class="user" aria-label="{user_menu}">' in page
