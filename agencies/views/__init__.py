"""HTML views of the agencies app: thin — parse input, call a service or selector, render."""
