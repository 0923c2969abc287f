"""The operator's choices: lifetimes offered and the default, the default views, the site's name."""

import re

HOUR, DAY = 3600, 86400


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
