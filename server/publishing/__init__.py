"""The publishing path: an activity and its deliveries written in one transaction, then signed and
sent by the delivery worker.
"""
