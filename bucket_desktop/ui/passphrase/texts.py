"""What a lost passphrase costs and what it does not, in the owner's words (issue 13)."""

from __future__ import annotations

from pathlib import Path

from bucket_desktop.services.keystore import MIN_PASSPHRASE_LENGTH

LENGTH_HINT = f"At least {MIN_PASSPHRASE_LENGTH} characters"

CREATION_ADVICE = (
    f"Choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters; a short sentence is "
    "easy to remember. Write it down and keep it somewhere safe: if it is lost, the Daraja "
    "credentials and the relay sign-in saved on this PC cannot be opened and must be typed "
    "again. Your money and the payments on the relay are not affected."
)


def forgot_sections(data_dir: Path) -> list[tuple[str, list[str]]]:
    """The Forgot passphrase explanation: (heading, lines) per section, in order."""
    return [
        (
            "What is lost",
            [
                "Without the passphrase the app cannot open two things kept on this PC:",
                "•  the Daraja credentials saved here (consumer key and secret, paybill or "
                "till, passkey);",
                "•  the relay token this PC signs in with.",
            ],
        ),
        (
            "What is not lost",
            [
                "•  Your money: it is in your M-PESA account, not on this PC.",
                "•  The payments: the relay keeps them, and they come back when you sign in.",
                "•  The credentials the relay already holds: other desks can go on charging "
                "customers meanwhile.",
            ],
        ),
        (
            "Starting over",
            [
                "1.  The app moves the locked files into a new folder named set-aside-(date) "
                f"in {data_dir}. Nothing is deleted: if the passphrase comes back to you, they "
                "can be moved back.",
                "2.  You choose a new passphrase.",
                "3.  You sign in to your relay again with your owner token. If you no longer "
                "have it, ask your relay operator for a new one.",
                "4.  On Payment settings you type your Daraja credentials again (from your app "
                "on the Safaricom developer portal), press Save, then Push to relay.",
            ],
        ),
    ]


def started_over_note(folder: Path) -> str:
    """The line above the new passphrase once the old files went aside."""
    return f"The old files are kept in {folder}. Now choose a new passphrase."
