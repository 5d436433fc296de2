"""Every recurring task, declared once; `manage.py install_schedules` installs them."""

from django_q.models import Schedule

SCHEDULES = [
    {
        "name": "worker-heartbeat",
        "func": "govern.tasks.heartbeat",
        "schedule_type": Schedule.MINUTES,
        "minutes": 1,
    },
]
