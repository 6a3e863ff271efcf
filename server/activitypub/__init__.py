"""The ActivityPub documents we serve: actors, objects, collections, discovery and our vocabulary."""
