"""A local DashScope emulator: an HTTP server that behaves like the Wan video API."""
