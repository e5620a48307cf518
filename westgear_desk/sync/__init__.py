"""The sync engine (inbox, jobs, retry, scheduler, locks, runs, cursors) and one module per flow."""
