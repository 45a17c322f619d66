"""The Desks page: the owner's attendant desks and their tokens."""
