"""Masking of secrets."""

from __future__ import annotations

from conformance._redact import MASK, Redactor


def test_masks_values_in_text_and_nested_data() -> None:
    r = Redactor.of(["s3cr3t-token", None, ""], headers=["X-Custom-Secret"])
    assert r.text("Bearer s3cr3t-token!") == f"Bearer {MASK}!"
    assert r.data({"a": ["x s3cr3t-token"], "b": 1}) == {"a": [f"x {MASK}"], "b": 1}
    assert r.header_value("Authorization", "Bearer anything") == f"Bearer {MASK}"
    assert r.header_value("x-custom-secret", "v") == MASK
    assert r.header_value("x-sandbox-name", "prod") == "prod"


def test_short_values_are_not_used_as_secrets() -> None:
    assert Redactor.of(["ab"]).text("abc") == "abc"


def test_masks_the_escaped_forms_of_a_secret() -> None:
    import html
    import json
    from urllib.parse import quote

    secret = 'tok<&"|/+ en'
    r = Redactor.of([secret])
    forms = [
        html.escape(secret),
        json.dumps(secret)[1:-1],
        quote(secret, safe=""),
        html.escape(html.escape(secret, quote=False), quote=False),
        secret.replace("|", "\\|"),
    ]
    for form in forms:
        assert r.text(f"before {form} after") == f"before {MASK} after", form
