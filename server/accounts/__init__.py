"""People: accounts, their sessions and second factor, memberships of actors, invitations,
single-use links, sign-in throttling and mail. The web app and the CLI use these services;
authorisation of writes stays in ``server.domain.access``, shared with the JSON API."""
