"""The inbox path: a signed POST accepted and stored by group commit, then processed by the inbox
worker.
"""
