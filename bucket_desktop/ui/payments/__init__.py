"""The Payments page: totals, the searchable list, the 30-day chart."""
