"""Extensions of the local endpoint: one module per service or fix, each with ``register()``."""
