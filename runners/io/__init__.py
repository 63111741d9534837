"""Reading and writing run files: episodes, WCON, NWB."""
