"""Page tokens: what a service wrote comes back; anything else is INVALID_ARGUMENT, never an error later."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from livetrust.errors import InvalidArgument
from livetrust.validation import decode_cursor, decode_page_token, encode_cursor, encode_page_token


def test_a_cursor_round_trips() -> None:
    when = datetime(2026, 6, 1, 4, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(when, "row-7")) == (when, "row-7")
    assert decode_cursor("") is None


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(json.dumps(["not a time", "x"]).encode()).decode(),
        # An instant without a time zone: no service writes one, and the database layer refuses it.
        encode_cursor(datetime(2026, 1, 1), "x"),
    ],
)
def test_a_foreign_cursor_is_invalid_argument(token: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        decode_cursor(token, field="page_token")
    assert refused.value.violations[0].field == "page_token"


def test_offset_tokens_round_trip_and_refuse_what_no_database_takes() -> None:
    assert decode_page_token(encode_page_token(1000)) == 1000 and decode_page_token("") == 0
    for forged in (encode_page_token(-1), encode_page_token(2**63), base64.urlsafe_b64encode(b'{"o": true}').decode()):
        with pytest.raises(InvalidArgument):
            decode_page_token(forged)
