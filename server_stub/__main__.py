"""`python -m server_stub`: the same as `bucket-relay`."""

from server_stub.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
