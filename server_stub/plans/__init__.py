"""Plans per provider, kept on the relay so every desk sells at the same prices."""
