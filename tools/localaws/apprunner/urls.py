"""URL routing for App Runner (JSON 1.0 protocol: every call is a POST to ``/``)."""

from tools.localaws.apprunner.responses import AppRunnerResponse

url_bases = [r"https?://apprunner\.(.+)\.amazonaws\.com"]

url_paths = {"{0}/$": AppRunnerResponse.dispatch}
