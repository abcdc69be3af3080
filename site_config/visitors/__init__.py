"""Visitors: who is behind a request or a socket (guest display names, accounts),
and the name, sign-up and login pages. Shared by every app; imports none."""
