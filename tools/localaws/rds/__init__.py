"""The PostgreSQL side of the local endpoint's RDS (see postgres.py and extensions/rds_real.py)."""
