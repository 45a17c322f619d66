"""The owner's first-run checklist page (issue 13, item 9)."""
