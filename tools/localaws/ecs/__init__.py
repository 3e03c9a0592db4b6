"""ECS services run for real on this machine, scaled by Application Auto Scaling.

moto keeps ECS clusters, services and task definitions, Application Auto Scaling targets
and policies, and CloudWatch metrics and alarms as bookkeeping. This package makes them
act (registered by ``tools/localaws/extensions/ecs_tasks.py``):

* ``tasks``: a supervisor thread keeps ``desiredCount`` tasks of every ACTIVE service
  running as local processes of the task definition's command (``tools/localaws/compute``,
  the App Runner backend's machinery), reports ``runningCount``, replaces tasks that exit,
  moves tasks to a new task definition (deploy), and stops a task the way ECS does:
  SIGTERM, then SIGKILL after the container's ``stopTimeout`` (default 30 s).
* ``scaling``: CloudWatch metric alarms are evaluated against the data points put with
  PutMetricData; an alarm in ALARM runs the step scaling policies it names, which set the
  service's desired count within the scalable target's min and max.

See ``constants`` for the settings (``LOCALAWS_ECS_PYTHON`` enables running tasks).
"""
