"""Use cases behind buttons and commands; the role checks live here."""
