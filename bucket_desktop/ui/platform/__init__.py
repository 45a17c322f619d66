"""The Platform page: a platform administrator's view of every provider on the relay."""
