"""Small widgets shared by the pages: the search field, the health light, the error banner."""
