"""One package per external system: contract models, httpx client, mapping."""
