"""Offline Safaricom Daraja simulator: OAuth, STK push and query, scripted callbacks.

Entry points: `server_stub.daraja_sim.app.create_app(config)`,
`server_stub.daraja_sim.testing.running_simulator(**config)`, and
`python -m server_stub.daraja_sim --port 0`.
"""
