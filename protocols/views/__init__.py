"""HTML views of the protocols app: thin — parse input, call a service or selector, render."""
