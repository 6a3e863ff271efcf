"""The JSON API for programs (bearer tokens), documented at ``/docs``."""
