"""Settings: base.py holds everything; development, test and production adjust it from the environment."""
