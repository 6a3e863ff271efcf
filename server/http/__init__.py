"""What every HTTP surface shares: the request state, dependencies, response classes, ETags, signed
GETs.
"""
