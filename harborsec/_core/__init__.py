"""The sans-I/O protocol core: operations, drivers, retries and HTTP helpers (private)."""
