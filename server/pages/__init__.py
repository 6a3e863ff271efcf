"""The HTML pages for people: the directory, profiles, projects and funding calls."""
