"""OAuth against the simulator: tokens, Daraja's error answers, expiry and invalidation."""

from __future__ import annotations

import base64

import httpx
import pytest
from sim_helpers import DarajaCaller, assert_daraja_error, password, timestamp_now, wait_until

from server_stub.daraja_sim.scenarios import DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET
from server_stub.daraja_sim.testing import running_simulator

OAUTH = "/oauth/v1/generate"
GRANT = {"grant_type": "client_credentials"}
DEFAULT_AUTH = (DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET)


def test_token_for_the_default_app(caller: DarajaCaller) -> None:
    response = caller.http.get(OAUTH, params=GRANT, auth=DEFAULT_AUTH)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in"}
    assert len(body["access_token"]) == 28 and body["access_token"].isalnum()
    assert body["expires_in"] == "3599"


@pytest.mark.parametrize("grant", [None, "", "client_credential", "password"])
def test_wrong_grant_type_is_400_008_02(caller: DarajaCaller, grant: str | None) -> None:
    params = {} if grant is None else {"grant_type": grant}
    response = caller.http.get(OAUTH, params=params, auth=DEFAULT_AUTH)
    assert_daraja_error(response, 400, "400.008.02", "Invalid grant type passed")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer " + base64.b64encode(b"a:b").decode(),
        "Basic not-base64!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
)
def test_wrong_auth_type_is_400_008_01(caller: DarajaCaller, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = caller.http.get(OAUTH, params=GRANT, headers=headers)
    assert_daraja_error(response, 400, "400.008.01", "Invalid Authentication passed")


@pytest.mark.parametrize(
    "auth",
    [(DEFAULT_CONSUMER_KEY, "wrong-secret"), ("unknown-key", DEFAULT_CONSUMER_SECRET)],
)
def test_wrong_key_or_secret_is_http_400_with_an_empty_body(
    caller: DarajaCaller, auth: tuple[str, str]
) -> None:
    # As Daraja answers it; the JSON 400.008.01 is only for a missing or unreadable header.
    response = caller.http.get(OAUTH, params=GRANT, auth=auth)
    assert response.status_code == 400
    assert response.content == b""
    assert "wrong-secret" not in str(caller.log("oauth"))


def test_a_new_token_invalidates_the_previous_one(caller: DarajaCaller) -> None:
    first = caller.token()
    second = caller.token()
    assert first != second
    stale = caller.query(first, "ws_CO_unknown")
    assert_daraja_error(stale, 404, "404.001.03", "Invalid Access Token")
    # The fresh token passes authentication and reaches the CheckoutRequestID check.
    fresh = caller.query(second, "ws_CO_unknown")
    assert_daraja_error(fresh, 400, "400.002.02", "Bad Request - Invalid CheckoutRequestID")


def test_tokens_expire_after_the_configured_lifetime() -> None:
    with (
        # Long enough that the first query, sent at once, surely comes while it is valid.
        running_simulator(token_lifetime_s=2.5, expires_in_as_string=False) as sim,
        httpx.Client(base_url=sim.base_url) as http,
    ):
        caller = DarajaCaller(http)
        response = http.get(OAUTH, params=GRANT, auth=DEFAULT_AUTH)
        assert response.json()["expires_in"] == 2  # whole seconds, as a number
        token = response.json()["access_token"]
        assert caller.query(token, "ws_CO_unknown").status_code == 400
        wait_until(lambda: caller.query(token, "ws_CO_unknown").status_code == 404)


def test_an_app_added_through_the_control_api(caller: DarajaCaller) -> None:
    app = {
        "consumer_key": "ownKey",
        "consumer_secret": "ownSecret",
        "accounts": [{"shortcode": "600100", "passkey": "own-passkey"}],
    }
    assert caller.http.post("/sim/apps", json=app).status_code == 201
    own_token = caller.token("ownKey", "ownSecret")
    body = caller.push_body("254708374149", "https://relay.example/cb/x/")
    # The new app may not charge to the default paybill.
    refused = caller.push(own_token, body)
    assert_daraja_error(refused, 500, "500.001.1001", "Merchant does not exist")
    stamp = timestamp_now()
    own_body = body | {
        "BusinessShortCode": "600100",
        "PartyB": "600100",
        "Timestamp": stamp,
        "Password": password("600100", "own-passkey", stamp),
    }
    assert caller.push(own_token, own_body).status_code == 200
