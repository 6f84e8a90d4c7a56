"""
The platform's defences, attacked as an attacker would: through real HTTP requests
to the admin sign-in, the public pages and robots.txt.
"""

from datetime import datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from newsroom.models import AuditEntry
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery"  # what the staff_member fixture gives everyone
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.20"
THIRD = "192.0.2.99"
NOW = timezone.now().replace(microsecond=0)


def sign_in(client, username, password, address=ATTACKER, code=None, **headers):
    data = {"username": username, "password": password}
    if code is not None:
        data["otp_token"] = code
    return client.post(LOGIN, data, REMOTE_ADDR=address, **headers)


def is_signed_in(client):
    return client.get("/admin/").status_code == 200


def guess_wrong(client, username, times, address=ATTACKER, **headers):
    return [
        sign_in(client, username, f"guess-{n}", address=address, **headers).status_code
        for n in range(times)
    ]


# 1. Sign-in throttled per account and per address, in the database.


def test_ten_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(editor):
    client = Client()
    statuses = guess_wrong(client, "editor", 10)
    assert statuses == [200] * 9 + [429]

    response = sign_in(client, "editor", PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "Try again in 15 minutes." in page
    assert '<header class="site-header">' in page  # the site's own layout
    assert not is_signed_in(client)
    # Counted in the database, so every app server sees the same count.
    assert AccessAttempt.objects.get(username="editor").failures_since_start >= 10


def test_a_locked_account_stays_locked_from_another_address(editor, moderator):
    guess_wrong(Client(), "editor", 10, address=ATTACKER)

    other_network = Client()
    assert sign_in(other_network, "editor", PASSWORD, address=ELSEWHERE).status_code == 429
    assert not is_signed_in(other_network)

    colleague = Client()
    response = sign_in(colleague, "desk", PASSWORD, address=THIRD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(colleague)


def test_an_address_guessing_many_accounts_is_locked_out_of_all_of_them(moderator):
    client = Client()
    for n in range(10):
        sign_in(client, f"editor{n}", "guess")

    response = sign_in(client, "desk", PASSWORD)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_a_forged_forwarded_for_header_does_not_make_a_fresh_address(editor):
    client = Client()
    for n in range(10):
        sign_in(client, "nobody", "guess", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")

    response = sign_in(client, "editor", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_after_the_cool_off_the_owner_signs_in_again(editor):
    with time_machine.travel(NOW, tick=False):
        guess_wrong(Client(), "editor", 10)
        assert sign_in(Client(), "editor", PASSWORD).status_code == 429
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        assert sign_in(Client(), "editor", PASSWORD).status_code == 429
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        client = Client()
        response = sign_in(client, "editor", PASSWORD)
        assert response.status_code == 302
        assert is_signed_in(client)


def test_the_limit_and_cool_off_follow_the_settings(editor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=5)
    client = Client()

    assert guess_wrong(client, "editor", 3) == [200, 200, 429]
    assert "Try again in 5 minutes." in sign_in(client, "editor", PASSWORD).content.decode()


# 2. Optional TOTP two-factor for staff.


@pytest.fixture
def device(editor):
    return TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)


def code_for(device, at=None):
    with time_machine.travel(at or NOW, tick=False):
        return f"{totp(device.bin_key):06d}"


def test_staff_without_a_device_sign_in_with_the_password_alone(editor):
    client = Client()
    response = sign_in(client, "editor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert is_signed_in(client)


@pytest.mark.parametrize(
    "sent", [{"username": "editor", "password": ""}, {}, {"password": "x"}, {"otp_token": "1"}]
)
def test_a_sign_in_with_missing_fields_says_what_is_missing(editor, sent):
    response = Client().post(LOGIN, sent)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_the_sign_in_form_asks_for_the_code(client):
    page = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in page and "Authentication code" in page


@pytest.mark.parametrize("code", [None, "", "123456x", "000000"])
def test_staff_with_a_device_are_refused_without_the_right_code(device, code):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        if code == "000000" and code_for(device) == code:
            code = "111111"
        response = sign_in(client, "editor", PASSWORD, code=code)

    assert response.status_code == 200
    assert "authentication code" in response.content.decode()
    assert not is_signed_in(client)


def test_staff_with_a_device_sign_in_with_the_current_code(device):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        response = sign_in(client, "editor", PASSWORD, code=code_for(device))

    assert response.status_code == 302
    assert is_signed_in(client)
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_code_cannot_be_used_twice(device):
    with time_machine.travel(NOW, tick=False):
        code = code_for(device)
        assert sign_in(Client(), "editor", PASSWORD, code=code).status_code == 302

        thief = Client()
        response = sign_in(thief, "editor", PASSWORD, code=code, address=ELSEWHERE)

    assert response.status_code == 200
    assert not is_signed_in(thief)


def test_wrong_codes_count_as_failed_sign_ins(device):
    """The password alone must not buy unlimited guesses at a six-digit code."""
    client = Client()
    with time_machine.travel(NOW, tick=False):
        right = code_for(device)
        statuses = [
            sign_in(client, "editor", PASSWORD, code=f"{(int(right) + n) % 10**6:06d}").status_code
            for n in range(1, 11)
        ]
    assert statuses[-1] == 429
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        late = sign_in(
            Client(), "editor", PASSWORD, code=code_for(device, NOW + timedelta(seconds=60))
        )
    assert late.status_code == 429


def test_staff_set_up_their_own_app_and_then_need_its_code(editor, editor_client):
    page = editor_client.get("/admin/").content.decode()
    assert 'href="/admin/two-factor/"' in page

    with time_machine.travel(NOW, tick=False):
        page = editor_client.get("/admin/two-factor/").content.decode()
        key = editor_client.session["two_factor_setup_key"]
        assert "otpauth://totp/Newsroom%3Aeditor?secret=" in page
        assert 'src="data:image/svg+xml' in page
        pending = TOTPDevice(key=key)

        wrong = f"{(totp(pending.bin_key) + 1) % 10**6:06d}"
        refused = editor_client.post("/admin/two-factor/", {"code": wrong})
        assert refused.status_code == 200 and "That code is not right" in refused.text
        assert not TOTPDevice.objects.exists()

        code = f"{totp(pending.bin_key):06d}"
        response = editor_client.post("/admin/two-factor/", {"code": code}, follow=True)
        assert "Two-factor sign-in is on" in response.text

        device = TOTPDevice.objects.get(user=editor, confirmed=True)
        assert device.key == key
        assert AuditEntry.objects.filter(action="two_factor.enabled", actor=editor).exists()
        # The confirming code is spent.
        assert sign_in(Client(), "editor", PASSWORD, code=code).status_code == 200

    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        assert sign_in(Client(), "editor", PASSWORD).status_code == 200
        fresh = f"{totp(device.bin_key):06d}"
        assert sign_in(Client(), "editor", PASSWORD, code=fresh).status_code == 302


def test_removing_the_app_needs_a_current_code(device, editor_client):
    with time_machine.travel(NOW, tick=False):
        refused = editor_client.post("/admin/two-factor/", {"code": "12345"})
        assert refused.status_code == 200 and TOTPDevice.objects.filter(pk=device.pk).exists()

        response = editor_client.post("/admin/two-factor/", {"code": code_for(device)}, follow=True)

    assert "Two-factor sign-in is off" in response.text
    assert not TOTPDevice.objects.exists()
    assert AuditEntry.objects.filter(action="two_factor.removed").exists()
    assert sign_in(Client(), "editor", PASSWORD).status_code == 302


def test_the_setup_page_is_for_signed_in_staff_only(client):
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.post("/admin/two-factor/", {"code": "123456"}).status_code == 302
    assert not TOTPDevice.objects.exists()


def test_superusers_manage_devices_in_the_admin(admin_client, editor):
    response = admin_client.post(
        "/admin/otp_totp/totpdevice/add/",
        {
            "user": editor.pk,
            "name": "required by the desk",
            "key": "3132333435363738393031323334353637383930",
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "confirmed": "on",
            "throttling_failure_count": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert sign_in(Client(), "editor", PASSWORD).status_code == 200


def test_editors_cannot_manage_other_peoples_devices(editor_client):
    assert editor_client.get("/admin/otp_totp/totpdevice/").status_code == 403


# 3. Content-Security-Policy on every response.


def csp_of(response):
    return dict(
        (directive.split(" ", 1) + [""])[:2]
        for directive in response["Content-Security-Policy"].split("; ")
    )


@pytest.mark.parametrize("path", ["/", "/donate/", "/no-such-page/", LOGIN, "/robots.txt"])
def test_every_response_carries_a_policy_without_inline_script(client, path):
    policy = csp_of(client.get(path))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert "unsafe-inline" not in client.get(path)["Content-Security-Policy"]


def test_frames_are_limited_to_the_embed_hosts(client, settings):
    policy = csp_of(client.get("/"))
    assert policy["frame-src"].split() == [f"https://{h}" for h in settings.ARTICLES_EMBED_HOSTS]


def test_the_admin_has_the_same_policy(admin_client):
    assert csp_of(admin_client.get("/admin/"))["script-src"] == "'self'"


# 5. The admin is not advertised, and not indexed.


def test_robots_txt_names_the_default_admin_path(client):
    assert "Disallow: /admin/" in client.get("/robots.txt").content.decode()


def test_robots_txt_does_not_reveal_a_custom_admin_path(client, settings):
    settings.ADMIN_URL = "desk-7f3a/"
    body = client.get("/robots.txt").content.decode()
    assert "desk-7f3a" not in body
    assert "Disallow: /search/" in body


def test_security_txt_tells_researchers_where_to_write(client, settings):
    settings.SECURITY_CONTACT = ["mailto:security@example.org", "https://example.org/security/"]
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = [line.split(": ", 1) for line in response.content.decode().splitlines()]
    assert ["Contact", "mailto:security@example.org"] in fields
    assert ["Contact", "https://example.org/security/"] in fields
    expires = dict(fields)["Expires"]
    left = datetime.fromisoformat(expires) - timezone.now()
    assert timedelta(days=30) < left < timedelta(days=365)  # RFC 9116: less than a year


def test_without_a_security_contact_there_is_no_security_txt(client, settings):
    settings.SECURITY_CONTACT = []
    assert client.get("/.well-known/security.txt").status_code == 404


def test_admin_pages_say_noindex(client, admin_client):
    login = client.get(LOGIN)
    assert login["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in login.content.decode()
    index = admin_client.get("/admin/")
    assert index["X-Robots-Tag"] == "noindex"
    assert '<meta name="robots" content="noindex">' in index.content.decode()
    assert not client.get("/").has_header("X-Robots-Tag")


# 6. Control characters in addresses are a 400 before any view runs.


@pytest.mark.parametrize(
    "path",
    [
        "/search/?q=%00",
        "/category/a%00b/",
        "/?p=%00",
        "/2016/10/28/peru%00/",
        "/donate/?amount=%00",
        "/search/?q%00=peru",
        "/search/?q=%1b%5b2J",
        "/tag/%0d%0aSet-Cookie:x=1/",
    ],
)
def test_control_characters_in_the_address_are_a_bad_request(
    client, path, django_assert_num_queries
):
    SectionFactory(slug="a")
    ArticleFactory(slug="peru")
    with django_assert_num_queries(0):
        response = client.get(path)
    assert response.status_code == 400


def test_tab_and_newlines_in_a_search_are_still_searched(client):
    ArticleFactory(title="Peru Takes the Lead")
    response = client.get("/search/?q=peru%09takes%0d%0a")
    assert response.status_code == 200


def test_sign_in_only_pages_are_not_listed_in_the_footer(client):
    from django.contrib.flatpages.models import FlatPage

    for url, title, private in [("/ethics/", "Ethics policy", False),
                                ("/board-minutes/", "Board minutes", True)]:  # fmt: skip
        FlatPage.objects.create(url=url, title=title, registration_required=private).sites.add(1)
    home = client.get("/").content.decode()
    assert '<a href="/ethics/">Ethics policy</a>' in home
    assert "/board-minutes/" not in home and "Board minutes" not in home
    sign_in = client.get("/board-minutes/", follow=True)
    assert sign_in.redirect_chain[0][0] == "/admin/login/?next=/board-minutes/"
    assert sign_in.status_code == 200 and "Board minutes" not in sign_in.content.decode()
