"""Code shared by the Parley client and relay: protocol, errors, limits, crypto helpers."""
