"""The web app people use to run their actors: server-rendered forms over the same services as
the JSON API, signed in with an account (``server.accounts``), translated (``server.i18n``)."""
