"""The payment flow: STK pushes, callbacks, settlement, reconciliation, the feed's wake-ups, and
the owner's setup test.
"""
