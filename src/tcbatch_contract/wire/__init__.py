"""Wire-level building blocks shared by the clients and the emulator: flattening, signing."""
