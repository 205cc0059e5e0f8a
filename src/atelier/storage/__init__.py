"""Where images live and how their public URLs are signed."""
