"""App settings file and folders."""

from __future__ import annotations

from bucket_desktop.services.app_settings import AppPaths, AppSettings, SettingsFile


def test_settings_round_trip(tmp_path) -> None:
    file = SettingsFile(tmp_path / "settings.json")
    assert file.load() == AppSettings()
    settings = AppSettings(
        relay_url="https://relay.example.com",
        pinned_fingerprints={"https://relay.example.com": "AB12-CD34-EF56-7890"},
        window_geometry="AAAA",
        last_page="settings",
    )
    file.save(settings)
    assert SettingsFile(tmp_path / "settings.json").load() == settings


def test_unreadable_settings_fall_back_to_defaults(tmp_path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("[1, 2")
    assert SettingsFile(path).load() == AppSettings()
    path.write_text('{"relay_url": 5, "pinned_fingerprints": [1]}')
    assert SettingsFile(path).load() == AppSettings()


def test_portable_paths_live_under_one_folder_with_their_own_keyring_entry(tmp_path) -> None:
    one = AppPaths.portable(tmp_path / "a")
    two = AppPaths.portable(tmp_path / "b")
    assert one.settings_file.parent == one.data_dir == tmp_path / "a"
    assert one.log_file.is_relative_to(tmp_path / "a")
    assert one.keyring_service != two.keyring_service
    assert AppPaths.for_user().keyring_service == "payment-bucket-desktop"
