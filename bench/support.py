"""What the benchmarks share: a fresh PostgreSQL database on this machine."""

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"


def fresh_postgres_database(name):
    """Drop and create `name` on the local server; returns its DATABASE_URL."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return f"{POSTGRES_SERVER}/{name}"
