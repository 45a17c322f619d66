from bucket_desktop.services.mpesa_rules import normalise_phone


def test_smoke() -> None:
    assert normalise_phone("0712 345 678") == "254712345678"
