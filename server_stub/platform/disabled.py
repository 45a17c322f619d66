"""The refusal a disabled provider's desks get when they try to charge a customer."""

from __future__ import annotations

from server_stub.errors import RelayError
from server_stub.store.protocol import Store


async def refuse_if_disabled(store: Store, provider_id: int) -> None:
    """403 `provider_disabled` when the platform administrator switched the provider off.

    Only new prompts are refused: callbacks for prompts sent before are still recorded and
    applied, so a customer who paid is never lost (DESIGN.md section 13, "Admins").
    """
    if await store.platform.disabled_at(provider_id) is not None:
        raise RelayError(
            "M-PESA payments for this hotspot are switched off by the platform administrator: "
            "ask the owner to contact them.",
            code="provider_disabled",
            status=403,
        )
