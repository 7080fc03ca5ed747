"""The sharing app's API (DRF), split by subject as the pages are: thin serializers and views over the same
services and selectors, fields filtered by the caller's tier."""
