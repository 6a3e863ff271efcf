"""Storage: the database, the tables, the queues of leased rows and the notices between processes."""
