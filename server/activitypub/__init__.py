"""The ActivityPub documents we serve: actors, objects, collections, discovery, vocabulary."""
