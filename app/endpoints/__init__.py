"""HTTP endpoints, one module per resource. ``app.routes`` lists them."""
