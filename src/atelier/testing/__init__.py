"""Helpers for people who write their own engines: the contract every engine must pass, and a
small example engine (``ATELIER_ENGINE=atelier.testing.example_engine:ExampleEngine``)."""
