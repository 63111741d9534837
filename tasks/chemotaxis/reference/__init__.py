"""Reference behaviour libraries for the chemotaxis task (data files; see README.md)."""
