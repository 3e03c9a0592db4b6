"""Serve each CloudFront distribution of the endpoint on a loopback port, as CloudFront would.

``edge.py`` is the viewer side (one listener per distribution, the request pipeline),
``origins.py`` fetches from the origins (S3 through OAC, custom origins mapped to loopback),
``constants.py`` holds AWS's managed policies. Registered by ``extensions/cloudfront_serving.py``.
"""
