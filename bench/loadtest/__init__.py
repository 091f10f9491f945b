"""The load test (`make loadtest`): locust against gunicorn, a Celery worker and beat on
PostgreSQL and Redis, with the demo data. `python -m bench.loadtest.run` runs it; never part
of `make test`."""
