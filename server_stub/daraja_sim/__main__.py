"""Entry point of `python -m server_stub.daraja_sim`."""

from server_stub.daraja_sim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
