"""Local compute shared by the backends that run a service's code as local processes.

No container engine runs here: the App Runner backend (``apprunner/``) and the ECS tasks
extension (``ecs/``) start a service's command as a child process on this machine, with
the service's environment, its secrets resolved from this endpoint's SSM parameters and
Secrets Manager secrets, and credentials for this endpoint (the stand-in for the
instance or task role). ``utils`` holds that machinery, ``constants`` its settings.
"""
