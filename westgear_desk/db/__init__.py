"""Database layer: SQLAlchemy models, engine and unit of work, read queries, Alembic migrations."""
