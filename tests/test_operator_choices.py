"""The operator's choices: lifetimes offered and the default, the default views, the site's name."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

HOUR, DAY = 3600, 86400


@pytest.fixture
def chosen(settings):
    settings.LIFETIMES = [30 * 60, 12 * HOUR, 2 * DAY, 5 * DAY]
    settings.DEFAULT_LIFETIME = 2 * DAY
    settings.DEFAULT_VIEWS = 3
    settings.SITE_NAME = "Acme Vault"


def options(html, name):
    select = re.search(rf'<select id="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', select)


def test_the_defaults_offer_the_usual_steps_up_to_ttl_days(api):
    html = api.get("/").content.decode()
    assert options(html, "lifetime") == [
        ("300", "", "5 minutes"),
        ("3600", "", "1 hour"),
        ("86400", " selected", "1 day"),
        ("259200", "", "3 days"),
        ("432000", "", "5 days"),
    ]
    views = options(html, "view_count")
    assert len(views) == 10 and views[0] == ("1", " selected", "1 view") and views[1][2] == "2 views"


def test_the_create_page_offers_the_operators_lifetimes_and_defaults(api, chosen):
    html = api.get("/").content.decode()
    assert options(html, "lifetime") == [
        ("1800", "", "30 minutes"),
        ("43200", "", "12 hours"),
        ("172800", " selected", "2 days"),
        ("432000", "", "5 days"),
    ]
    assert [v for v in options(html, "view_count") if v[1]] == [("3", " selected", "3 views")]


def test_choices_beyond_the_limits_in_force_are_not_offered(api, settings, chosen):
    settings.TTL_DAYS = 1
    html = api.get("/").content.decode()
    assert options(html, "lifetime") == [("1800", "", "30 minutes"), ("43200", " selected", "12 hours")]


def test_the_site_name_is_on_every_page_and_title(api, chosen):
    for path in ("/", "/secret/HrVfOn1aoqKHeRKi"):
        html = api.get(path).content.decode()
        assert re.search(r"<title>[^<]* · Acme Vault</title>", html)
        assert '<a class="brand" href="/">Acme Vault</a>' in html
        assert "pysecrets" not in html


def test_the_dashboard_shows_the_choices(db, chosen):
    client = Client()
    client.force_login(User.objects.create_user("operator", password="operator password 1", is_staff=True))
    html = client.get("/admin/ops/").content.decode()
    assert "<td>30 minutes, 12 hours, 2 days, 5 days</td>" in html
    assert '<th scope="row">Default lifetime</th><td>2 days</td>' in html
    assert '<th scope="row">Default views</th><td>3</td>' in html
    assert "<td>Acme Vault</td>" in html
    limits = client.get("/admin/ops/usage.json").json()["limits"]
    assert (limits["lifetimes"], limits["default_lifetime"], limits["default_views"]) == (
        [1800, 43200, 172800, 432000],
        172800,
        3,
    )
    assert limits["site_name"] == "Acme Vault"
