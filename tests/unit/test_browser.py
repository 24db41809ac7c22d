from livekit_auth.browser import cors_headers, preflight_headers

ALLOWLIST = ("https://app.example.com", "https://admin.example.com")


def test_any_origin_gets_a_wildcard_and_no_vary():
    assert cors_headers("https://evil.example", ("*",)) == {"Access-Control-Allow-Origin": "*"}


def test_a_listed_origin_is_echoed_with_vary():
    assert cors_headers("https://app.example.com", ALLOWLIST) == {
        "Access-Control-Allow-Origin": "https://app.example.com",
        "Vary": "Origin",
    }


def test_an_unlisted_origin_gets_no_allow_origin_but_still_vary():
    assert cors_headers("https://evil.example", ALLOWLIST) == {"Vary": "Origin"}
    assert cors_headers(None, ALLOWLIST) == {"Vary": "Origin"}


def test_preflight_allows_only_post_and_content_type_with_a_max_age():
    headers = preflight_headers("https://app.example.com", ALLOWLIST)
    assert headers["Access-Control-Allow-Methods"] == "POST"
    assert headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(headers["Access-Control-Max-Age"]) > 0


def test_preflight_from_an_unlisted_origin_allows_nothing():
    assert preflight_headers("https://evil.example", ALLOWLIST) == {"Vary": "Origin"}
