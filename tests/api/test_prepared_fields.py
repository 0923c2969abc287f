"""
The create fields are built once for each set of limits and language, then
copied for every request (``PreparedFieldsSerializer``): never served for
limits no longer in force, nor in a language the request did not ask for.
"""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from django.core.signals import setting_changed
from django.utils import translation

from sharing.api import serializers as api_serializers
from sharing.api.serializers import LegacyCreatedSerializer, TextCreateSerializer


def refusal(post_json, body, **headers) -> dict:
    response = post_json("/encrypt", {"secret": "s", **body}, **headers)
    assert response.status_code == 400, response.content
    return response.json()["fields"]


@pytest.fixture(params=["signal", "key"])
def changes(request):
    """Settings change with the signal tests send, or (``key``) as if nothing were told of it."""
    if request.param == "key":
        setting_changed.disconnect(api_serializers.forget_prepared_fields)
        request.addfinalizer(lambda: setting_changed.connect(api_serializers.forget_prepared_fields))
    return request.param


def test_a_changed_view_limit_is_enforced_and_stated_at_once(post_json, settings, changes):
    settings.MAX_VIEWS = 3
    assert refusal(post_json, {"view_count": 4}) == {"view_count": ["Ensure this value is at most 3."]}
    settings.MAX_VIEWS = 5
    assert post_json("/encrypt", {"secret": "s", "view_count": 4}).status_code == 200
    assert refusal(post_json, {"view_count": 6}) == {"view_count": ["Ensure this value is at most 5."]}


def test_a_changed_lifetime_and_passphrase_length_are_enforced_at_once(post_json, settings, changes):
    settings.MIN_LIFETIME_SECONDS, settings.TTL_DAYS, settings.MIN_PASSPHRASE_LENGTH = 600, 1, 20
    assert refusal(post_json, {"lifetime": 599, "passphrase": "fifteen letters"}) == {
        "lifetime": ["Ensure this value is at least 600."],
        "passphrase": ["Ensure this field has at least 20 characters."],
    }
    assert refusal(post_json, {"lifetime": 86401}) == {"lifetime": ["Ensure this value is at most 86400."]}
    settings.MIN_LIFETIME_SECONDS, settings.TTL_DAYS, settings.MIN_PASSPHRASE_LENGTH = 300, 2, 12
    created = post_json("/encrypt", {"secret": "s", "lifetime": 599, "passphrase": "fifteen letters"})
    assert created.status_code == 200, created.content
    assert refusal(post_json, {"lifetime": 2 * 86400 + 1, "passphrase": "eleven char"}) == {
        "lifetime": ["Ensure this value is at most 172800."],
        "passphrase": ["Ensure this field has at least 12 characters."],
    }


def test_the_same_limits_in_turns_of_languages_speak_each(post_json, settings):
    settings.MAX_VIEWS = 10
    said = {
        "en": "Ensure this value is at most 10.",
        "de": "Dieser Wert darf höchstens 10 sein.",
        "fr": "Cette valeur doit être inférieure ou égale à 10.",
    }
    for language in ["en", "de", "en", "fr", "de"]:
        fields = refusal(post_json, {"view_count": 11}, HTTP_ACCEPT_LANGUAGE=language)
        assert fields == {"view_count": [said[language]]}, language


def test_fields_are_built_once_and_each_serializer_binds_copies_of_its_own(monkeypatch):
    built = []
    real = TextCreateSerializer.build_fields
    monkeypatch.setattr(TextCreateSerializer, "build_fields", lambda self: built.append(1) or real(self))
    api_serializers.forget_prepared_fields()
    with translation.override("en"):
        first, second = TextCreateSerializer(data={}), TextCreateSerializer(data={})
        assert (
            first.fields.keys() == second.fields.keys() == {"view_count", "lifetime", "passphrase", "secret"}
        )
    assert len(built) == 1
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert LegacyCreatedSerializer({"secret_id": "a", "passphrase": "b"}).data == {
        "secret_id": "a",
        "passphrase": "b",
    }


def test_threads_validating_at_once_each_get_their_own_answer(settings):
    # Threaded workers: requests that build and use the same fields together.
    settings.MAX_VIEWS = 6
    start = Barrier(4)

    def validate(views: int) -> list:
        start.wait()
        answers = []
        with translation.override("de" if views % 2 else "en"):
            for _ in range(50):
                serializer = TextCreateSerializer(data={"secret": str(views), "view_count": views})
                valid = serializer.is_valid()
                answers.append(serializer.validated_data["text"] if valid else serializer.errors)
        return answers

    with ThreadPoolExecutor(4) as pool:
        two, seven, three, eight = pool.map(validate, [2, 7, 3, 8])
    assert two == ["2"] * 50 and three == ["3"] * 50
    assert [str(e["view_count"][0]) for e in seven] == ["Dieser Wert darf höchstens 6 sein."] * 50
    assert [str(e["view_count"][0]) for e in eight] == ["Ensure this value is at most 6."] * 50
