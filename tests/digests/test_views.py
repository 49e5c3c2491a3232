"""The profile's digest setting and the one-click unsubscribe link."""

import pytest
from django.test import Client

from digests.models import DigestSubscription
from digests.selectors import digest_opted_out
from digests.services import unsubscribe_token
from regions.choices import UserRole
from tests.factories import UserFactory

from .conftest import coordinator, ministry

pytestmark = pytest.mark.django_db


def test_profile_shows_the_setting_and_saves_it(client, django_assert_max_num_queries):
    user = coordinator("62")
    client.force_login(user)
    with django_assert_max_num_queries(8):
        page = client.get("/profile/digests/")
    html = page.content.decode()
    assert "Вы получаете сводку по своему региону." in html
    assert user.email in html
    assert 'name="subscribed"' in html and "checked" in html
    response = client.post("/profile/digests/", {})
    assert response.status_code == 302
    assert digest_opted_out(user_id=user.id)
    assert "checked" not in client.get("/profile/digests/").content.decode().split('name="subscribed"')[1][:40]
    client.post("/profile/digests/", {"subscribed": "on"})
    assert not digest_opted_out(user_id=user.id)


def test_profile_warns_a_user_without_an_address_and_a_role_without_a_digest(client):
    client.force_login(UserFactory(username="system", role=UserRole.SYSTEM))
    html = client.get("/profile/digests/").content.decode()
    assert "Для вашей роли сводка не рассылается." in html
    assert "Адрес электронной почты не указан" in html


def test_the_user_menu_links_to_the_profile(client):
    client.force_login(ministry())
    assert 'href="/profile/digests/"' in client.get("/profile/digests/").content.decode()


def test_unsubscribe_link_asks_first_and_opts_out_on_post_without_a_login(django_assert_max_num_queries):
    user = coordinator("62")
    url = f"/digests/unsubscribe/{unsubscribe_token(user_id=user.id)}/"
    anonymous = Client(enforce_csrf_checks=True)
    with django_assert_max_num_queries(0):
        page = anonymous.get(url)
    assert page.status_code == 200
    assert 'id="confirm-unsubscribe"' in page.content.decode()
    assert not digest_opted_out(user_id=user.id)  # a link opened by a mail scanner changes nothing
    # RFC 8058 one-click: the mail system POSTs "List-Unsubscribe=One-Click", no session, no CSRF token.
    with django_assert_max_num_queries(7):  # the user, then update_or_create in its savepoint
        done = anonymous.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Вы отписаны" in done.content.decode()
    assert digest_opted_out(user_id=user.id)
    assert anonymous.post(url).status_code == 200  # again: still opted out, no error
    assert DigestSubscription.objects.filter(user=user).count() == 1


def test_a_forged_unsubscribe_token_changes_nothing():
    user = coordinator("62")
    token = unsubscribe_token(user_id=user.id)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = Client()
    assert client.get(f"/digests/unsubscribe/{forged}/").status_code == 400
    assert client.post(f"/digests/unsubscribe/{forged}/").status_code == 400
    assert client.post("/digests/unsubscribe/nonsense/").status_code == 400
    assert not digest_opted_out(user_id=user.id)
