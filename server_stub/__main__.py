"""`python -m server_stub`: the same as `bucket-relay`."""

from server_stub.operations.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
