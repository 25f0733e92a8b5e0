"""TMDb: client (details, search, images; cached), key sign-in and the metadata account."""
