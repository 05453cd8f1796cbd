from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "portal.workspace"
    label = "workspace"

    def ready(self):
        from portal.observability.metrics import set_review_backlog
        from portal.workspace import receivers  # noqa: F401  (connects the lockout's receivers)
        from portal.workspace.services import review_backlog

        set_review_backlog(review_backlog)
