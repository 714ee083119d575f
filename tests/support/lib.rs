//! Support for the integration tests and examples: running real NumPy.
