"""Storage: the database, its tables, the queues of leased rows, notices between processes."""
