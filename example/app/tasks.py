"""The example celery app: redis as broker, one task, and a beat schedule that runs it every 30 s."""
import os

from celery import Celery

broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
celery = Celery("tasks", broker=broker, backend=None)
celery.conf.beat_schedule = {"add-every-30-s": {"task": "tasks.add", "schedule": 30.0, "args": (1, 1)}}
celery.conf.worker_hijack_root_logger = False
celery.conf.broker_connection_retry_on_startup = True


@celery.task
def add(x, y):
    print(f"add({x}, {y}) = {x + y}", flush=True)
    return x + y
