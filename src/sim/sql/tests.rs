// Store-level tests; filled below.
