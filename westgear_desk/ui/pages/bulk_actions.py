"""Bulk actions shared by the pages that act on a selection (Quarantine, Sync health).

A page mixes this in beside QWidget; it provides `services`, `user`, `bulk` (a BulkProgress),
`banner` (an ErrorBanner), `refresh()` and `_update_actions()`.
"""

from __future__ import annotations

from typing import Any

from westgear_desk.services.jobs import BulkResult
from westgear_desk.ui.dialogs.bulk_progress import describe_result
from westgear_desk.ui.tasks import TaskError


class BulkActions:
    """Run a service's bulk action over ids with progress, then report the outcome calmly."""

    services: Any
    user: Any
    bulk: Any
    banner: Any

    def refresh(self) -> None:
        raise NotImplementedError

    def _update_actions(self) -> None:
        raise NotImplementedError

    def _run_bulk(self, action: Any, ids: list[int], reason: str) -> None:
        factory, user = self.services.session_factory, self.user
        self.bulk.start(lambda items, progress: action(factory, user, items, reason, progress), ids)
        self._update_actions()

    def _bulk_done(self, result: BulkResult) -> None:
        self.refresh()
        message = describe_result(result)
        if message:
            self.banner.show_message(message)

    def _bulk_failed(self, message: str) -> None:
        self.refresh()
        self.banner.show_message(message)

    def _show_error(self, error: TaskError) -> None:
        self.banner.show_message(error.message)
