"""The relay's plans at the counter: the owner's editor, and keeping every desk in step."""
