"""Providers' Daraja credentials at rest: encrypted on the way in, decrypted only to call Daraja."""

from __future__ import annotations

from bucket_desktop.services.credentials import (
    AccountType,
    CredentialsError,
    DarajaCredentials,
    Environment,
)
from bucket_desktop.services.sealing import SealingError, unseal
from server_stub.audit.entries import Audit
from server_stub.errors import RelayError
from server_stub.security.atrest import SecretBox
from server_stub.security.relay_key import RelayKey
from server_stub.store.protocol import Store
from server_stub.store.records import EncryptedCredentials, ProviderRecord


class CredentialVault:
    """Saves and opens providers' credentials; knows the callback URL they must use."""

    def __init__(self, store: Store, box: SecretBox, relay_key: RelayKey, base_url: str) -> None:
        self._store = store
        self._box = box
        self._relay_key = relay_key
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"CredentialVault(base_url={self.base_url!r})"

    def callback_base(self, provider_id: int) -> str:
        """The provider's callback prefix; each push appends its own token."""
        return f"{self.base_url}/payments/callback/{provider_id}/"

    async def save(
        self, provider_id: int, credentials: DarajaCredentials, *, audit: Audit[bool] | None = None
    ) -> None:
        """Encrypt and store credentials; RelayError 404 for an unknown provider.

        `audit` is completed with what may be said of the credentials (never a secret).
        """
        encrypted = EncryptedCredentials(
            consumer_key=self._box.encrypt(credentials.consumer_key.encode()),
            consumer_secret=self._box.encrypt(credentials.consumer_secret.encode()),
            passkey=self._box.encrypt(credentials.passkey.encode()),
            shortcode=credentials.shortcode,
            environment=credentials.environment.value,
            account_type=credentials.account_type.value,
            till_number=credentials.till_number,
            digest=credentials.digest(),
        )
        if audit is not None:
            audit = audit.with_detail(credentials_detail(credentials))
        saved = await self._store.save_credentials(
            provider_id, encrypted, self.callback_base(provider_id), audit=audit
        )
        if not saved:
            raise RelayError(f"There is no provider {provider_id}.", code="not_found", status=404)

    async def save_sealed(
        self,
        provider_id: int,
        sealed: str,
        key_fingerprint: str,
        *,
        audit: Audit[bool] | None = None,
    ) -> None:
        """Open credentials sealed to this relay's key, check them, and store them."""
        if key_fingerprint.strip().upper() != self._relay_key.fingerprint:
            raise RelayError(
                "The credentials were sealed to another relay key "
                f"(this relay's fingerprint is {self._relay_key.fingerprint}): fetch the key and "
                "seal them again.",
                code="relay_key_mismatch",
                status=409,
                field="key_fingerprint",
            )
        try:
            plaintext = unseal(self._relay_key.private_key, sealed)
            credentials = DarajaCredentials.from_json(plaintext)
        except SealingError as error:
            raise RelayError(str(error), code="bad_sealed_box", field="sealed") from None
        except CredentialsError as error:
            raise RelayError(
                str(error), code="invalid_credentials", field=error.field or "sealed"
            ) from None
        await self.save(provider_id, credentials, audit=audit)

    def open(self, provider: ProviderRecord) -> DarajaCredentials:
        """The provider's credentials in clear; RelayError 409 when none are stored."""
        stored = provider.credentials
        if stored is None:
            raise RelayError(
                "No M-PESA credentials are on the relay yet: the owner sends them from the "
                "app's Payment settings page with Push to relay.",
                code="credentials_missing",
                status=409,
            )
        return DarajaCredentials(
            consumer_key=self._box.decrypt(stored.consumer_key).decode(),
            consumer_secret=self._box.decrypt(stored.consumer_secret).decode(),
            passkey=self._box.decrypt(stored.passkey).decode(),
            shortcode=stored.shortcode,
            environment=Environment(stored.environment),
            account_type=AccountType(stored.account_type),
            till_number=stored.till_number,
        )


def credentials_detail(credentials: DarajaCredentials) -> str:
    """What an audit entry says of credentials: the public parts, never a secret."""
    till = f", till {credentials.till_number}" if credentials.till_number else ""
    return (
        f"shortcode {credentials.shortcode}, {credentials.environment.value}, "
        f"{credentials.account_type.value}{till}"
    )
