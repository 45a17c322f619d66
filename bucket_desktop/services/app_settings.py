"""Where the desktop app keeps its files, and its small settings file (never a secret)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from bucket_desktop.services.atomic_file import write_atomic

APP_NAME = "PaymentBucket"
APP_AUTHOR = "PaymentBucket"
KEYRING_SERVICE = "payment-bucket-desktop"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The app's config, data and log folders, and the keyring service name that goes with them."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    keyring_service: str = KEYRING_SERVICE

    @classmethod
    def for_user(cls) -> AppPaths:
        """The platform's usual folders for this user (platformdirs)."""
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )

    @classmethod
    def portable(cls, root: Path) -> AppPaths:
        """Everything under one folder (`--data-dir`): tests, a USB stick, a second profile."""
        root = root.expanduser().resolve()
        # A separate keyring entry per folder, so two profiles never share a vault key.
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
        return cls(
            config_dir=root,
            data_dir=root,
            log_dir=root / "logs",
            keyring_service=f"{KEYRING_SERVICE}-{digest}",
        )

    @property
    def settings_file(self) -> Path:
        """The JSON settings file."""
        return self.config_dir / "settings.json"

    @property
    def vault_file(self) -> Path:
        """The encrypted credentials."""
        return self.data_dir / "credentials.vault"

    @property
    def key_file(self) -> Path:
        """The passphrase-protected key file, used only where no OS keyring exists."""
        return self.data_dir / "keys.locked"

    @property
    def log_file(self) -> Path:
        """The app's log file."""
        return self.log_dir / "bucket-desktop.log"


@dataclass(slots=True)
class AppSettings:
    """What the app remembers between runs; no secret ever goes here."""

    relay_url: str | None = None
    # Relay key fingerprints pinned on first use, per relay URL.
    pinned_fingerprints: dict[str, str] = field(default_factory=dict)
    window_geometry: str | None = None
    last_page: str | None = None
    # "en", "sw"; None until the person chooses one: the app then follows the system's.
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "relay_url": self.relay_url,
            "pinned_fingerprints": dict(self.pinned_fingerprints),
            "window_geometry": self.window_geometry,
            "last_page": self.last_page,
            "language": self.language,
        }

    @classmethod
    def from_dict(cls, data: Any) -> AppSettings:
        """Read what can be read; anything odd falls back to the default."""
        if not isinstance(data, dict):
            return cls()
        pins = data.get("pinned_fingerprints")
        return cls(
            relay_url=_text_or_none(data.get("relay_url")),
            pinned_fingerprints={str(k): str(v) for k, v in pins.items() if isinstance(v, str)}
            if isinstance(pins, dict)
            else {},
            window_geometry=_text_or_none(data.get("window_geometry")),
            last_page=_text_or_none(data.get("last_page")),
            language=_text_or_none(data.get("language")),
        )


class SettingsFile:
    """Loads and saves `AppSettings` as JSON, atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> AppSettings:
        """The saved settings, or defaults when there are none or they cannot be read."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return AppSettings()
        except OSError as error:
            log.warning("Settings file %s unreadable (%s); using defaults.", self.path, error)
            return AppSettings()
        try:
            return AppSettings.from_dict(json.loads(raw))
        except ValueError:
            log.warning("Settings file %s is not valid JSON; using defaults.", self.path)
            return AppSettings()

    def save(self, settings: AppSettings) -> None:
        """Write the settings atomically."""
        data = json.dumps(settings.to_dict(), indent=2, sort_keys=True).encode()
        write_atomic(self.path, data)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
