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


def test_a_learned_secret_is_masked_by_every_redactor_made_before_or_after() -> None:
    before = Redactor.of(["static-secret"])
    Redactor.learn("learned-TOKEN-<&>-0c1d")
    after = Redactor()
    for redactor in (before, after):
        assert redactor.text("a learned-TOKEN-<&>-0c1d b") == f"a {MASK} b"
        assert redactor.text("learned-TOKEN-&lt;&amp;&gt;-0c1d") == MASK  # escaped forms too
    assert before.text("static-secret") == MASK and after.text("static-secret") == "static-secret"
    Redactor.learn("ab")  # too short to be a secret: ignored
    assert after.text("abc") == "abc"
