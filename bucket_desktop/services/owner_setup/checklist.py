"""The owner's first-run checklist: what is done, what is next, in the order it must be done."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_models import CredentialsSummary


class Step(StrEnum):
    """The steps of a first setup; each names where the owner does it."""

    RELAY = "relay"
    SAVED = "saved"
    PUSHED = "pushed"
    PROMPT = "prompt"
    PLANS = "plans"


@dataclass(frozen=True, slots=True)
class SetupFacts:
    """What the app knows about the setup; `summary` is None when the relay did not answer."""

    relay_url: str | None
    credentials_saved: bool
    summary: CredentialsSummary | None
    plans_saved: bool
    relay_problem: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistLine:
    """One line: its step, a title, whether it is done, its state in words, and whether it
    can be done yet (a test prompt needs credentials on the relay)."""

    step: Step
    title: str
    done: bool
    state: str
    ready: bool = True


def checklist(facts: SetupFacts) -> list[ChecklistLine]:
    """The five lines of the first-run checklist, in order."""
    summary = facts.summary
    pushed = summary is not None and summary.configured
    proven = summary is not None and summary.prompt_proven_at is not None
    return [
        ChecklistLine(
            Step.RELAY,
            _("Relay connected"),
            facts.relay_url is not None,
            _("Signed in to {relay_url} as the owner.").format(relay_url=facts.relay_url)
            if facts.relay_url
            else _("Not yet."),
        ),
        ChecklistLine(
            Step.SAVED,
            _("Daraja credentials saved on this PC"),
            facts.credentials_saved,
            _("Saved, encrypted.") if facts.credentials_saved else _saved_todo(),
        ),
        ChecklistLine(Step.PUSHED, _("Credentials sent to the relay"), pushed, _pushed(facts)),
        ChecklistLine(
            Step.PROMPT, _("Test prompt passed"), proven, _prompt(facts, proven), ready=pushed
        ),
        ChecklistLine(
            Step.PLANS,
            _("Plans and prices set"),
            facts.plans_saved,
            _("Your plans are saved.")
            if facts.plans_saved
            else _("Not yet: the standard example plans are in use. Set your own prices."),
        ),
    ]


def is_complete(lines: list[ChecklistLine]) -> bool:
    """True when every line is done."""
    return all(line.done for line in lines)


def _saved_todo() -> str:
    return _(
        "Not yet: type the consumer key and secret, paybill or till and passkey of "
        "your Daraja app, press Test, then Save."
    )


def _pushed(facts: SetupFacts) -> str:
    summary = facts.summary
    if summary is None:
        return facts.relay_problem or _("Unknown: the relay did not answer.")
    if not summary.configured:
        return _("Not yet: press Push to relay on the Payment settings page.")
    return _("The relay holds your credentials.")


def _prompt(facts: SetupFacts, proven: bool) -> str:
    summary = facts.summary
    if summary is None:
        return _("Unknown: the relay did not answer.")
    if proven:
        return _("Passed: the relay can charge customers.")
    if not summary.configured:
        return _("After the credentials are on the relay.")
    return _(
        "Not yet: send a KES 1 test prompt to your phone. It proves the shortcode "
        "and passkey; you may cancel it on the phone."
    )
