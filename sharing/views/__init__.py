"""The sharing app's pages, split by subject as in protocols (children, entries, and later requests and
disclosures): thin, each calling a service or a selector of this app."""
