"""What other tools read of us beside ActivityPub: funding.json manifests, Atom feeds, SVG
badges and OpenGraph previews (docs/architecture.md)."""
