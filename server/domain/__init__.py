"""The domain rules: actors, follows, projects, funding calls, pledges, interactions, moderation
and the directory.
"""
